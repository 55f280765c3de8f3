"""Helpers of the guest tests: the real kernel's DAMON files, the CLI, waiting."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
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


def read(path: Path, busy_wait_s: float = 10.0) -> str:
    """The file's text; waits out EBUSY (DAMON's sysfs lock is held by another writer,
    e.g. a record's ``update_schemes_tried_regions``)."""
    deadline = time.monotonic() + busy_wait_s
    while True:
        try:
            return path.read_text().strip()
        except OSError as e:
            if e.errno != errno.EBUSY or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


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
            try:
                raw_write(KDAMONDS / str(i) / "state", "off")
            except OSError:  # it stopped by itself meanwhile (its target exited)
                if read(KDAMONDS / str(i) / "state") == "on":
                    raise
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


@dataclass
class Result:
    """What one in-process CLI run printed and returned."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> Result:
    """``damon-tui ARGS`` through the CLI's own ``main`` in this process.

    A Python start costs seconds under TCG; the short commands (status, stop, preset)
    run in-process: same argument parsing, exit codes and one-line errors.
    """
    require_test_vm()
    from damon_tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(list(args))
        except SystemExit as e:  # argparse
            rc = e.code if isinstance(e.code, int) else 2
    return Result(rc, out.getvalue(), err.getvalue())


def tree_text(root: Path) -> dict[str, str]:
    """Every readable file under ``root``: relative path -> content."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            try:
                out[str(p.relative_to(root))] = read(p)
            except OSError:  # write-only or unreadable files
                pass
    return out


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


@dataclass
class Workload:
    """A ``damon-tui workload`` process: its mappings and when each phase ended."""

    proc: subprocess.Popen
    regions: dict[str, tuple[int, int]]
    started: float  # time.time() when the first phase began (about)
    phase_ends: list[tuple[str, float]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # masim's per-phase lines

    @property
    def pid(self) -> int:
        return self.proc.pid

    def phases(self) -> list[tuple[str, float, float]]:
        """``(name, start, end)`` in time.time() of every finished phase."""
        out, start = [], self.started
        for name, end in list(self.phase_ends):
            out.append((name, start, end))
            start = end
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


def start_workload(config: Path, nr_regions: int, *extra: str, timeout: float = 120
                   ) -> Workload:
    """Run a masim config as a real process (``damon-tui workload``) and wait for its
    mappings; a thread notes the wall time each phase line is printed (its end)."""
    require_test_vm()
    proc = subprocess.Popen(
        [sys.executable, "-m", "damon_tui.commands.workload", str(config), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )
    regions: dict[str, tuple[int, int]] = {}
    ready = threading.Event()

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("# region "):
                name, rest = line[len("# region "):].split(":", 1)
                start, end = rest.split()[0].split("-")
                regions[name] = (int(start, 16), int(end, 16))
                if len(regions) == nr_regions:
                    ready.set()

    threading.Thread(target=read_stderr, daemon=True).start()
    if not ready.wait(timeout):
        proc.kill()
        raise AssertionError(f"workload {config} printed no mappings in {timeout:.0f} s")
    w = Workload(proc, regions, time.time())

    def read_stdout() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if ":" in line:
                w.phase_ends.append((line.split(":", 1)[0], time.time()))
                w.lines.append(line.strip())

    threading.Thread(target=read_stdout, daemon=True).start()
    return w
