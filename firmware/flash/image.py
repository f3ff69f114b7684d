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


def _gzipped(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open(path: str) -> BinaryIO:
    return gzip.open(path, "rb") if _gzipped(path) else open(path, "rb")


def size(path: str) -> int:
    try:
        n = sum(map(len, chunks(path, 1 << 20))) if _gzipped(path) else os.stat(path).st_size
    except OSError as exc:
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
