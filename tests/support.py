"""What every test module may need beside fixtures: the CI-strict ``require``."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

#: under CI a missing test tool or data set fails the run instead of skipping it
STRICT = bool(os.environ.get("CI")) or bool(os.environ.get("DAMON_TUI_STRICT_SKIPS"))


def require(ok: bool, reason: str) -> None:
    """Skip with ``reason`` when ``ok`` is false, but fail under CI: a missing test tool
    or data set there is a broken install step, not a fact of the machine."""
    if ok:
        return
    if STRICT:
        pytest.fail(f"{reason} (required under CI)", pytrace=False)
    pytest.skip(reason)


def damo_exe() -> str:
    """damo 3.4.3's command (the test extra), with ``file`` which it needs to detect formats."""
    exe = Path(sys.executable).parent / "damo"
    found = str(exe) if exe.exists() else shutil.which("damo")
    require(bool(found), "damo 3.4.3 is not installed (pip install damo==3.4.3, the test extra)")
    require(bool(shutil.which("file")),
            "damo detects record formats with the `file` command, which is missing")
    return str(found)
