"""Process lifetime: children that die with their parent, and locks that die with their holder.

Both rest on the kernel, not on clean-up code, so they hold when a process is killed with
SIGKILL: Linux sends a child the parent-death signal when its parent ends, and releases an
flock when the last descriptor of its open file is closed, which process exit does.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int) -> None:
    """Have this process killed (SIGKILL) when its parent ends; exit at once if the parent
    `parent_pid` is already gone. Used as the initializer of pool workers. On systems without
    prctl the workers rely on the pool noticing that its parent vanished."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


class FileLock:
    """An exclusive, non-blocking flock on `path` (created if missing), held until `release`
    or the end of the process. Forked children share it, so it lasts while any of them lives."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd: int | None = None

    def acquire(self) -> bool:
        """True if this process now holds the lock; False if another process holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return False
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return True

    def release(self, remove: bool = True) -> None:
        """Release the lock (removing its file first, while still holding it)."""
        if self.fd is None:
            return
        if remove:
            self.path.unlink(missing_ok=True)
        os.close(self.fd)
        self.fd = None

    def held_elsewhere(self) -> bool:
        """True if a live process holds the lock now (probe: take it and let it go)."""
        if not self.path.exists():
            return False
        if self.acquire():
            self.release(remove=False)
            return False
        return True
