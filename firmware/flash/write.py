"""Writes the image to the device and reads it back to prove it.

The write opens the device with O_EXCL (the kernel refuses it while anything is mounted
from it or holds it: a second guard behind policy.py), writes in chunks with an fdatasync
every few chunks so the progress shown is what reached the device, and fsyncs at the end.
The check then reads the written region back from the device itself, not from the page
cache: the buffer cache is dropped (BLKFLSBUF) and the reads use O_DIRECT where the device
takes it, so a card that lost or corrupted data is caught. It compares every chunk with the
image, and the SHA-256 of both; a mismatch is reported with its first byte offset.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import mmap
import os
from dataclasses import dataclass
from typing import Callable, Optional

from firmware.flash import image as imagefile

CHUNK = 1 << 20                  # 1 MiB: a multiple of every sector size and of the page
SYNC_EVERY = 8                   # chunks between fdatasyncs (progress = what is on the card)
BLKFLSBUF = 0x1261               # linux/fs.h: _IO(0x12, 97), flush the buffer cache


class FlashError(RuntimeError):
    """The device could not be opened, written or read; the message says where."""


@dataclass
class Outcome:
    bytes: int
    image_sha256: str
    device_sha256: str
    mismatched_chunks: int = 0
    first_mismatch: Optional[int] = None      # byte offset
    direct_io: bool = True

    @property
    def ok(self) -> bool:
        return self.mismatched_chunks == 0 and self.image_sha256 == self.device_sha256


Progress = Callable[[int], None]             # bytes done since the last call


def write(image_path: str, device: str, total: int, progress: Progress = lambda n: None,
          chunk: int = CHUNK) -> str:
    """Write the image; its SHA-256. Raises FlashError."""
    try:
        fd = os.open(device, os.O_WRONLY | os.O_EXCL | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            raise FlashError(f"{device}: busy (the kernel says something holds it: mounted, "
                             "swap, RAID or LVM); nothing was written") from None
        raise FlashError(f"{device}: cannot open for writing ({exc.strerror}); nothing was "
                         "written") from None
    h = hashlib.sha256()
    done = 0
    try:
        for i, data in enumerate(imagefile.chunks(image_path, chunk)):
            view = memoryview(data)
            while view:
                try:
                    n = os.write(fd, view)
                except OSError as exc:
                    raise FlashError(f"{device}: write failed at byte {done} "
                                     f"({exc.strerror}); the card is partly written") from None
                view = view[n:]
                done += n
                progress(n)
            h.update(data)
            if (i + 1) % SYNC_EVERY == 0:
                os.fdatasync(fd)
        os.fsync(fd)
    finally:
        os.close(fd)
    if done != total:
        raise FlashError(f"{image_path}: {done} bytes read, {total} expected (the image "
                         "changed while it was written?)")
    return h.hexdigest()


def _drop_cache(device: str) -> None:
    fd = os.open(device, os.O_RDONLY)
    try:
        try:
            fcntl.ioctl(fd, BLKFLSBUF, 0)
        except OSError:
            pass
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def verify(image_path: str, device: str, total: int, image_sha256: str,
           progress: Progress = lambda n: None, chunk: int = CHUNK) -> Outcome:
    """Read the first `total` bytes of the device back and compare with the image."""
    _drop_cache(device)
    direct = True
    try:
        fd = os.open(device, os.O_RDONLY | getattr(os, "O_DIRECT", 0))
    except OSError:
        direct = False
        fd = os.open(device, os.O_RDONLY)
    buf = mmap.mmap(-1, chunk)                  # page-aligned, as O_DIRECT requires
    h = hashlib.sha256()
    out = Outcome(total, image_sha256, "", direct_io=direct)
    pos = 0
    try:
        for want in imagefile.chunks(image_path, chunk):
            got = _read_at(fd, buf, pos, len(want), device)
            if direct and got is None:          # the device refused O_DIRECT: fall back
                os.close(fd)
                direct = out.direct_io = False
                fd = os.open(device, os.O_RDONLY)
                got = _read_at(fd, buf, pos, len(want), device)
            h.update(got)
            if got != want:
                out.mismatched_chunks += 1
                if out.first_mismatch is None:
                    out.first_mismatch = pos + next(
                        (i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                        min(len(got), len(want)))
            pos += len(want)
            progress(len(want))
    finally:
        os.close(fd)
        buf.close()
    out.device_sha256 = h.hexdigest()
    return out


def _read_at(fd: int, buf: mmap.mmap, pos: int, n: int, device: str) -> Optional[bytes]:
    """n bytes at pos; None if O_DIRECT was refused (EINVAL)."""
    want = -(-n // 512) * 512                  # whole sectors
    view = memoryview(buf)[:want]
    got = 0
    try:
        while got < want:
            r = os.preadv(fd, [view[got:]], pos + got)
            if r == 0:
                break
            got += r
    except OSError as exc:
        view.release()
        if exc.errno == errno.EINVAL:
            return None
        raise FlashError(f"{device}: read-back failed at byte {pos + got} ({exc.strerror})"
                         ) from None
    data = bytes(view[:min(got, n)])
    view.release()
    return data


def flash(image_path: str, device: str, total: int, progress: Progress = lambda n: None,
          before_verify: Optional[Callable[[], None]] = None) -> Outcome:
    """Write, then verify. before_verify: a test hook run between the two (the host tests
    corrupt the device's backing file there to prove the read-back reads the device)."""
    sha = write(image_path, device, total, progress)
    if before_verify is not None:
        before_verify()
    return verify(image_path, device, total, sha, progress)
