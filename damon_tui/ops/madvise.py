"""``pidfd_open(2)`` and ``process_madvise(2)`` through ctypes (x86_64 / aarch64 Linux).

DAMOS actions on another process's memory are applied with ``process_madvise``; the
kernel accepts only ``MADV_COLD``, ``MADV_PAGEOUT``, ``MADV_WILLNEED`` and (6.1+)
``MADV_COLLAPSE`` from outside the process.  The return value of the syscall is the
number of bytes advised, which becomes DAMOS's ``sz_applied``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
from collections.abc import Sequence

#: DAMOS action name -> madvise advice accepted by process_madvise
ADVICE: dict[str, int] = {"willneed": 3, "cold": 20, "pageout": 21, "collapse": 25}

#: syscall numbers (asm-generic numbers are shared by x86_64 and aarch64 for these)
_NR_PIDFD_OPEN = 434
_NR_PROCESS_MADVISE = 440
#: the kernel's UIO_MAXIOV: at most this many ranges per process_madvise call
IOV_MAX = 1024


class _IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


_libc = None


def _syscall():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
    return _libc.syscall


def supported_arch() -> bool:
    """Whether the syscall numbers above are right for this machine."""
    return platform.system() == "Linux" and platform.machine() in ("x86_64", "aarch64")


def pidfd_open(pid: int) -> int:
    """A pidfd for ``pid``; raises ``OSError`` (ESRCH, ENOSYS, ...)."""
    if hasattr(os, "pidfd_open"):
        return os.pidfd_open(pid)
    fd = _syscall()(ctypes.c_long(_NR_PIDFD_OPEN), ctypes.c_long(pid), ctypes.c_long(0))
    if fd < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return int(fd)


def process_madvise(pidfd: int, ranges: Sequence[tuple[int, int]], advice: int) -> int:
    """Advise ``[start, end)`` ranges of the pidfd's process; bytes advised.

    Ranges are sent in batches of ``IOV_MAX``.  A batch that fails after advising
    some bytes returns what was advised (like the kernel); a batch that advises
    nothing raises ``OSError`` with the errno.
    """
    call = _syscall()
    total = 0
    for i in range(0, len(ranges), IOV_MAX):
        batch = ranges[i:i + IOV_MAX]
        iov = (_IoVec * max(1, len(batch)))()
        for j, (start, end) in enumerate(batch):
            iov[j].iov_base = start
            iov[j].iov_len = end - start
        ret = call(ctypes.c_long(_NR_PROCESS_MADVISE), ctypes.c_long(pidfd), iov,
                   ctypes.c_long(len(batch)), ctypes.c_long(advice), ctypes.c_long(0))
        if ret < 0:
            e = ctypes.get_errno()
            if total:
                return total
            raise OSError(e, os.strerror(e))
        total += int(ret)
    return total


def probe() -> tuple[bool, str]:
    """Whether ``process_madvise`` works here, with one plain sentence."""
    if not supported_arch():
        return False, ("process_madvise is only wired for x86_64 and aarch64, "
                       f"not {platform.machine()}")
    try:
        fd = pidfd_open(os.getpid())
    except OSError as e:
        return False, f"pidfd_open failed ({e.strerror}); the kernel is older than 5.3"
    try:
        process_madvise(fd, [], ADVICE["cold"])
    except OSError as e:
        if e.errno == errno.ENOSYS:
            return False, "the kernel has no process_madvise (needs Linux 5.10 or later)"
        return False, f"process_madvise failed: {e.strerror}"
    finally:
        os.close(fd)
    return True, "process_madvise works (pageout, cold, willneed, collapse)"
