"""The image builder's one error type: the message names the step, the problem and the fix."""


class ImageError(RuntimeError):
    pass
