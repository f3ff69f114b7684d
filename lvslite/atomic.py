"""One way to replace a file: a temporary file beside it, fsync, rename, fsync the folder.

Used for the state file in /run (a second lvslite never sees half a file) and by `lvslite
save` on the /cfg partition (after a power cut the card holds the old config or the new one,
never half of one). On failure the temporary file is removed and the OSError propagates:
each caller words it for its own layer.
"""
from __future__ import annotations

import os


def write_atomically(path: str, data: bytes, tmp: str, durable: bool = True) -> None:
    """`durable=False` skips both fsyncs: still never half a file, but after a power cut
    maybe the old one (for a cache in tmpfs, which a power cut empties anyway)."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if not durable:
        return
    dfd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
