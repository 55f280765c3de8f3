"""Launch the command a real target monitors (``damon-tui record -- ./app args``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from damon_tui.errors import UserError


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
        return subprocess.Popen(command, stdout=out, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise UserError(f"cannot launch {exe!r}: {e.strerror}") from None
