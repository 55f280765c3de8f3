"""Shared fixtures, test groups and the skip policy.

Groups (``-m`` selects them on purpose): tests that run real processes or read this
machine's own procfs are marked ``real_process``; tests that run inside the qemu guest
on a real DAMON kernel are marked ``vm``; everything else is a unit test on fake roots,
simulated workloads and files.

Skips: a test may skip only for a reason listed in ``EXPECTED_SKIPS`` (a fact of the
machine, such as no process_madvise).  Under CI (``CI`` set) any other skip fails the
run, and a missing test tool or data (damo, ``file``, the snapshot plugin, ``../shared``)
fails instead of skipping: use ``require()``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import STRICT, require

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"

#: the only acceptable skip reasons (prefixes): each is a fact of the machine, not a
#: missing install step
EXPECTED_SKIPS: dict[str, str] = {
    "no process_madvise here": "kernel without process_madvise (< 5.10) or seccomp",
    "this machine can run paddr": "paddr refusal is tested on fake roots instead",
    "this machine has no /proc/pressure/memory": "kernel without PSI",
    "needs root to drop to another user": "the permission test needs root",
    "no /dev/full on this machine": "container without /dev/full",
}

#: test modules that run real processes or read this machine's procfs
REAL_PROCESS_MODULES = {
    "test_madvise_real",
    "test_vaddr_real_errors",
    "test_vaddr_real_zigzag",
    "test_vaddr_cli_monitor",
    "test_vaddr_goal_metrics",
    "test_record_sigkill",
    "test_workload_runner",
}


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout (masim configs, damo records, spec)."""
    require(SHARED.is_dir(), f"shared data not found at {SHARED}")
    return SHARED


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_process: runs real processes or reads this "
                            "machine's procfs (deselect with -m 'not real_process')")
    config.addinivalue_line("markers", "vm: runs inside the qemu guest on a real DAMON kernel")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in REAL_PROCESS_MODULES or module.startswith("test_real_"):
            item.add_marker(pytest.mark.real_process)


_unexpected: list[str] = []


def _expected(reason: str) -> bool:
    reason = reason.removeprefix("Skipped: ")
    return any(reason.startswith(prefix) for prefix in EXPECTED_SKIPS)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
        if not _expected(reason):
            _unexpected.append(f"{report.nodeid}: {reason}")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if _unexpected:
        verdict = "fail the run under CI" if STRICT else "would fail the run under CI"
        terminalreporter.section(f"unexpected skips ({verdict})")
        for line in _unexpected:
            terminalreporter.line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if STRICT and _unexpected and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
