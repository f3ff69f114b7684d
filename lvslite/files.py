"""The one way lvslite (and the bench) reads a file it was handed: regular files only, bounded.

    read_bytes(path, limit) -> bytes    at most `limit` bytes of a regular file ("-": stdin)
    read_text(path, limit) -> str       the same, decoded (ASCII/UTF-8 with replacement)
    NotRegular, TooBig                  OSError subclasses: callers that catch OSError keep
                                        working, and exc.strerror says what is wrong

Why: a path given by hand can be anything. /dev/zero never ends (`wear report /dev/zero` grew
to 4.8 GB before this), a FIFO blocks in open() until a writer comes, a directory or a
block device is not what was meant. So the path is stat()ed first and only a regular file
is opened (a character device such as a watchdog acts on open), with O_NONBLOCK and
O_NOCTTY in case it was swapped meanwhile, then fstat()ed again; and no more than limit + 1
bytes are ever read, so a wrong path to a huge file costs nothing. /proc and /sys files are
regular files whose size reads as 0: they are read up to the limit like any other.

Imports only os and stat (both loaded by every Python process anyway): cheap on a 266 MHz box.
"""
from __future__ import annotations

import os
import stat  # already loaded by os

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


class NotRegular(OSError):
    """The path is a directory, FIFO, device or socket, not a regular file."""


class TooBig(OSError):
    """The file holds more than the limit. .size: its size in bytes when the file system
    knows it (0 for /proc files), .limit: the limit."""

    def __init__(self, message: str, size: int, limit: int):
        super().__init__(message)
        self.strerror = message
        self.size, self.limit = size, limit


def kind(mode: int) -> str:
    """What a non-regular st_mode is, in words."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def _refuse_non_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        exc = NotRegular(f"is {kind(mode)}, not a regular file")
        exc.strerror = str(exc)
        raise exc


def read_bytes(path: str, limit: int) -> bytes:
    """The bytes of regular file `path` ("-" = standard input, which may be a pipe).

    Raises OSError as open() does (FileNotFoundError, PermissionError), NotRegular, or
    TooBig when it holds more than `limit` bytes."""
    if path == "-":
        import sys
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise TooBig(f"standard input holds more than {limit} bytes", 0, limit)
        return data
    _refuse_non_regular(os.stat(path).st_mode)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                 | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        _refuse_non_regular(st.st_mode)
        if st.st_size > limit:
            raise TooBig(f"is {st.st_size} bytes, more than {limit}", st.st_size, limit)
        chunks, got = [], 0
        while got <= limit:
            b = os.read(fd, min(65536, limit + 1 - got))
            if not b:
                break
            chunks.append(b)
            got += len(b)
    finally:
        os.close(fd)
    if got > limit:
        raise TooBig(f"holds more than {limit} bytes", st.st_size, limit)
    return b"".join(chunks)


def read_text(path: str, limit: int, encoding: str = "utf-8") -> str:
    """read_bytes decoded; undecodable bytes become U+FFFD (for logs and /proc, not configs)."""
    return read_bytes(path, limit).decode(encoding, "replace")
