"""The image to flash: a raw disk image or a gzip of one (as m0n0wall shipped its images).

The exact uncompressed size is needed before the first byte is written (the device must be
large enough), so a .gz is read through once to count; the write and the read-back check
read it again.
"""
from __future__ import annotations

import gzip
import os
import stat
from typing import BinaryIO, Iterator, Tuple


class ImageFileError(ValueError):
    """The image cannot be read; the message says why."""


def _gzipped(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open(path: str) -> BinaryIO:
    return gzip.open(path, "rb") if _gzipped(path) else open(path, "rb")


_KINDS = ((stat.S_ISBLK, "a block device"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISDIR, "a directory"),
          (stat.S_ISSOCK, "a socket"))


def identity(path: str) -> Tuple[int, int]:
    """(st_dev, st_ino) of the image file: the same file under any name."""
    st = os.stat(path)
    return st.st_dev, st.st_ino


def size(path: str) -> int:
    """The image's size; ImageFileError unless it is a readable, non-empty regular file (a
    block device's st_size is 0, and a FIFO would block the first read)."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            what = next((w for test, w in _KINDS if test(mode)), "not a regular file")
            raise ImageFileError(f"{path}: is {what}, not a regular file (the image is a file "
                                 "such as out/image/lvslite-i386.img; to copy a card, read it "
                                 "into a file first)")
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
