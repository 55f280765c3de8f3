"""Helpers of the guest tests: the real kernel's DAMON files, the CLI, waiting."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

GUEST_MARK = "damon_tui_vm=1"
SYSFS = Path("/sys")
ADMIN = SYSFS / "kernel/mm/damon/admin"
KDAMONDS = ADMIN / "kdamonds"
MODULES = ("damon_reclaim", "damon_lru_sort")
MODULE_PARAMS = {m: SYSFS / "module" / m / "parameters" for m in MODULES}
CLI_TIMEOUT_S = 180  # Python under TCG: one CLI start costs seconds


def in_test_vm() -> bool:
    try:
        return GUEST_MARK in Path("/proc/cmdline").read_text().split()
    except OSError:
        return False


class NotInTestVM(RuntimeError):
    """Refusal to write DAMON files outside the harness's VM."""


def require_test_vm() -> None:
    if not in_test_vm():
        raise NotInTestVM("the guest tests write the kernel's DAMON sysfs: they run only "
                          "inside the VM of `python tests/vm/run.py test`")


def read(path: Path) -> str:
    return path.read_text().strip()


def raw_write(path: Path, value: object) -> None:
    """Write like ``echo VALUE > PATH`` (the guest tests' stand-in for a foreign tool)."""
    require_test_vm()
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, str(value).encode())
    finally:
        os.close(fd)


def kdamond_states() -> list[str]:
    n = int(read(KDAMONDS / "nr_kdamonds"))
    return [read(KDAMONDS / str(i) / "state") for i in range(n)]


def reset_kernel() -> None:
    """Every kdamond off and removed, both modules disabled: a clean guest kernel."""
    require_test_vm()
    for params in MODULE_PARAMS.values():
        if read(params / "enabled") == "Y":
            raw_write(params / "enabled", "N")
    for i, state in enumerate(kdamond_states()):
        if state == "on":
            raw_write(KDAMONDS / str(i) / "state", "off")
    deadline = time.monotonic() + 20
    while any(s == "on" for s in kdamond_states()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for params in MODULE_PARAMS.values():
        while Path(params / "kdamond_pid").exists() and read(params / "kdamond_pid") not in (
                "-1", "") and time.monotonic() < deadline:
            time.sleep(0.1)
    raw_write(KDAMONDS / "nr_kdamonds", 0)
    for state in Path("/run/damon-tui").glob("*"):
        state.unlink()


class Cli:
    """Runs ``damon-tui`` (``python -m damon_tui``) with a time limit."""

    def __call__(self, *args: str, timeout: float = CLI_TIMEOUT_S, check: bool = False
                 ) -> subprocess.CompletedProcess[str]:
        require_test_vm()
        proc = subprocess.run(
            [sys.executable, "-m", "damon_tui", *args], capture_output=True, text=True,
            timeout=timeout, stdin=subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"damon-tui {' '.join(args)} exited {proc.returncode}:\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc

    def popen(self, *args: str, **kw) -> subprocess.Popen[str]:
        require_test_vm()
        return subprocess.Popen([sys.executable, "-m", "damon_tui", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL, **kw)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The CLI's one-line UserError message (exit 2, no traceback)."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]
