"""Live changes to our running kdamond through ``commit`` (what the TUI's forms call).

There is no CLI command for a live change: the TUI's scheme and attrs forms commit
through ``KernelMonitor.set_attrs`` / ``set_schemes`` -> ``KernelSession.commit``,
driven here directly against the real kernel.

Debian's 6.12 commits in the kdamond's aggregation callback: the write of ``commit``
returns success whatever happens, and a commit the kernel refuses ends the kdamond (the
callback's error breaks ``kdamond_fn``).  So damon-tui refuses what it can tell the kernel
would refuse before writing anything, and when the kernel still refuses (a constraint
damon-tui does not check, a target gone meanwhile) it puts the files back, turns the
kdamond on again with the previous configuration and says so.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
from collections.abc import Iterator

import pytest
from guestlib import KDAMONDS, read

from damon_tui.engine import Attrs
from damon_tui.kernel import session as session_mod
from damon_tui.kernel.session import KernelSession
from damon_tui.kernel.sysfs import KernelError, Paths, SysfsIO
from damon_tui.kernel.tree import KernelConfig, KernelTarget


@pytest.fixture
def target() -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(["sleep", "600"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def session(target) -> Iterator[KernelSession]:
    s = KernelSession(Paths(), SysfsIO())
    s.start(KernelConfig("vaddr", Attrs(), (KernelTarget(target.pid),), ()))
    yield s
    s.close()


def mapped_span(pid: int) -> tuple[int, int]:
    ranges = [tuple(int(x, 16) for x in line.split()[0].split("-"))
              for line in open(f"/proc/{pid}/maps")]
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def kernel_only_invalid_attrs(attrs: Attrs) -> Attrs:
    """``min_nr_regions`` 2: our Attrs refuse it, so only the kernel's check is left."""
    bad = copy.copy(attrs)
    object.__setattr__(bad, "min_nr_regions", 2)
    return bad


def assert_running_config(session: KernelSession, target: subprocess.Popen) -> None:
    """Read back: on, the files show the running config, the kernel monitors the target."""
    ctx = session.ctx_dir
    assert read(session.dir / "state") == "on"
    assert read(ctx / "monitoring_attrs/nr_regions/min") == "10"
    assert read(ctx / "targets/0/pid_target") == str(target.pid)
    lo, hi = mapped_span(target.pid)
    regions = session.snapshot_regions()[0]
    assert regions and all(lo <= s < e <= hi for s, e, _, _ in regions), (regions, lo, hi)


def test_commit_of_a_value_the_kernel_refuses_is_refused_before_any_write(session, target):
    kdamond_pid = read(session.dir / "pid")
    bad = dataclasses.replace(session.config, attrs=kernel_only_invalid_attrs(
        session.config.attrs))
    nr_writes = len(session.io.log)
    with pytest.raises(KernelError) as refused:
        session.commit(bad)
    message = str(refused.value)
    assert "\n" not in message, message
    assert f"{session.ctx_dir}/monitoring_attrs/nr_regions/min: the kernel refuses 2" in message
    assert "nothing was written" in message and "keeps its running configuration" in message
    assert len(session.io.log) == nr_writes
    assert read(session.dir / "pid") == kdamond_pid
    assert_running_config(session, target)


def test_a_commit_the_612_kernel_refuses_stops_its_kdamond_and_is_undone(session, target,
                                                                        monkeypatch):
    # the kernel alone judges: as with a constraint damon-tui does not know
    monkeypatch.setattr(session_mod, "config_refusal", lambda ctx_dir, cfg: None)
    old_pid = read(session.dir / "pid")
    bad = dataclasses.replace(session.config, attrs=kernel_only_invalid_attrs(
        session.config.attrs))
    with pytest.raises(KernelError) as refused:
        session.commit(bad)
    message = str(refused.value)
    assert "\n" not in message and str(session.dir / "state") in message, message
    # what 6.12 does: the write succeeded, the kdamond stopped; damon-tui turned it on again
    assert "the kernel refused the commit and stopped the kdamond" in message, message
    new_pid = read(session.dir / "pid")
    assert new_pid != old_pid and f"previous configuration (kdamond pid now {new_pid})" in message
    assert session.pid == int(new_pid)
    note = json.loads((session.paths.state_dir / f"kdamond-{session.index}.json").read_text())
    assert note["pid"] == int(new_pid)  # still ours for status and stop
    assert_running_config(session, target)


def test_valid_commit_changes_the_running_kdamond(session):
    kdamond_pid = read(session.dir / "pid")
    attrs = dataclasses.replace(session.config.attrs, aggr_us=200_000)
    session.commit(dataclasses.replace(session.config, attrs=attrs))
    assert read(session.ctx_dir / "monitoring_attrs/intervals/aggr_us") == "200000"
    assert read(session.dir / "state") == "on"
    assert read(session.dir / "pid") == kdamond_pid
    assert session.snapshot_regions()[0]


def test_closing_the_session_turns_it_off_and_removes_it(target):
    s = KernelSession(Paths(), SysfsIO())
    s.start(KernelConfig("vaddr", Attrs(), (KernelTarget(target.pid),), ()))
    assert read(KDAMONDS / "nr_kdamonds") == "1"
    assert read(s.dir / "state") == "on"
    s.close()
    assert read(KDAMONDS / "nr_kdamonds") == "0"
