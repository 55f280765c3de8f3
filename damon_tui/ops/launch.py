"""Launch the command a real target monitors (``damon-tui record -- ./app args``).

The child gets ``PR_SET_PDEATHSIG(SIGKILL)``: it never outlives the monitor, even a
monitor killed with SIGKILL (a normal end closes the ops, which ends the child).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable

from damon_tui.errors import UserError

_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` asking the kernel to kill the child when ``parent`` dies."""
    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def launch(command: list[str]) -> subprocess.Popen:
    """Start ``command`` (its output goes to our stderr, so stdout stays clean)."""
    exe = command[0]
    if os.sep not in exe and shutil.which(exe) is None:
        raise UserError(f"cannot launch {exe!r}: command not found")
    try:
        out = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (tests, embedding)
        out = 2
    try:
        return subprocess.Popen(command, stdout=out, stdin=subprocess.DEVNULL,
                                preexec_fn=_die_with(os.getpid()))
    except OSError as e:
        raise UserError(f"cannot launch {exe!r}: {e.strerror}") from None
