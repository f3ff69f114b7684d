"""Boots the i386 card image in qemu (TCG) and drives its serial console from the host.

The guest is the real product: BIOS, syslinux, kernel, initramfs, squashfs root, busybox
init, and the serial console's root shell. Nothing in the image knows it is tested: commands
are typed on the console and their output is cut out between two markers, each echoed as
`__S$((n))__` so the typed line (which the shell echoes) never matches what it prints
(`__S7__`). Every byte of the console goes to a log file.

Host only (tests/image/ launches qemu itself; tests/vm/ is the amd64 9p rig).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import List, Optional, Tuple

QEMU = "qemu-system-i386"
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


class GuestError(AssertionError):
    """The guest did not do what was expected in time; carries the console's last lines."""


class Guest:
    def __init__(self, disk: Path, log: Path, memory_mb: int = 128, cpu: Optional[str] = None):
        self.disk, self.log_path, self.memory_mb, self.cpu = disk, log, memory_mb, cpu
        self.proc: Optional[subprocess.Popen] = None
        self.buf = bytearray()
        self.lock = threading.Lock()
        self.started = 0.0
        self.n = 0
        self.reader: Optional[threading.Thread] = None

    # ------------------------------------------------------------------ lifecycle
    def command(self) -> List[str]:
        cpu = ["-cpu", self.cpu] if self.cpu else []     # a board's CPU model (pentium, 486)
        return [QEMU, "-accel", "tcg", *cpu, "-m", str(self.memory_mb), "-display", "none",
                "-monitor", "none", "-serial", "stdio", "-no-reboot", "-nic", "none",
                "-drive", f"file={self.disk},format=raw,if=ide,index=0,media=disk"]

    def start(self) -> None:
        self.log = open(self.log_path, "ab")
        self.log.write(f"\n===== boot {time.strftime('%H:%M:%S')}: {' '.join(self.command())}"
                       f"\n".encode())
        self.buf.clear()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            with self.lock:
                self.buf += chunk
            self.log.write(chunk)
            self.log.flush()

    def power_cut(self) -> None:
        """Kill qemu: what a box sees when its power is pulled (no shutdown, no sync)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        if self.reader is not None:
            self.reader.join(timeout=5)
        self.log.close()
        self.proc = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # ------------------------------------------------------------------ console
    def text(self) -> str:
        with self.lock:
            raw = bytes(self.buf)
        return ANSI.sub(b"", raw).decode("utf-8", "replace").replace("\r", "")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def expect(self, pattern: str, timeout: float, start: int = 0) -> re.Match:
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.text(), start)
            if m:
                return m
            if not self.alive():
                raise GuestError(f"the guest stopped while waiting for {pattern!r}; console:\n"
                                 f"{self.tail()}")
            if time.monotonic() > end:
                raise GuestError(f"no {pattern!r} on the console after {timeout:.0f}s; "
                                 f"console:\n{self.tail()}")
            time.sleep(0.1)

    def send(self, line: str) -> None:
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def sh(self, cmd: str, timeout: float = 60, check: bool = True) -> Tuple[int, str]:
        """Run one shell line on the console; (exit status, output). check: status 0 or fail."""
        self.n += 1
        n = self.n
        at = len(self.text())
        self.send(f"echo __S$(({n}))__; {cmd}; echo __E$(({n}))=$?__")
        m = self.expect(rf"__E{n}=(\d+)__", timeout, at)
        s = re.compile(rf"__S{n}__\n").search(self.text(), at)
        out = self.text()[s.end() if s else at:m.start()]
        rc = int(m.group(1))
        if check and rc != 0:
            raise GuestError(f"`{cmd}` exited {rc} in the guest:\n{out}")
        return rc, out

    def out(self, cmd: str, timeout: float = 60) -> str:
        return self.sh(cmd, timeout)[1]

    def wait_shell(self, timeout: float) -> float:
        """Wait for the console shell; seconds since qemu started."""
        self.expect(r"lvslite IPVS director", timeout)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.sh("true", timeout=5)
                return time.monotonic() - self.started
            except GuestError:
                if time.monotonic() > deadline or not self.alive():
                    raise


def available() -> Optional[str]:
    """None when the host can boot the image, else why not."""
    if shutil.which(QEMU) is None:
        return f"{QEMU} not installed (apt-get install qemu-system-x86)"
    return None
