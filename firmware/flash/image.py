"""The image to flash: a raw disk image or a gzip of one (as m0n0wall shipped its images).

The exact uncompressed size is needed before the first byte is written (the device must be
large enough), so a .gz is read through once to count; the write and the read-back check
read it again.
"""
from __future__ import annotations

import gzip
import os
from typing import BinaryIO, Iterator


class ImageFileError(ValueError):
    """The image cannot be read; the message says why."""


def _open(path: str) -> BinaryIO:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def size(path: str) -> int:
    try:
        with open(path, "rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
        if not gz:
            n = os.stat(path).st_size
        else:
            n = 0
            with gzip.open(path, "rb") as fh:
                while True:
                    b = fh.read(1 << 20)
                    if not b:
                        break
                    n += len(b)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ImageFileError(f"{path}: cannot read the image ({exc})") from None
    if n == 0:
        raise ImageFileError(f"{path}: the image is empty (build it with `make image`)")
    return n


def chunks(path: str, chunk: int) -> Iterator[bytes]:
    try:
        with _open(path) as fh:
            while True:
                b = fh.read(chunk)
                if not b:
                    return
                yield b
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ImageFileError(f"{path}: cannot read the image ({exc})") from None
