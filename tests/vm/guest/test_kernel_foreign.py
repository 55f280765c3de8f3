"""A kdamond started by raw sysfs writes (someone else's) is read, never written."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from guestlib import KDAMONDS, MODULE_PARAMS, one_line_error, raw_write, read, run_cli, tree_text

STATE_DIR = Path("/run/damon-tui")


@dataclass
class Foreign:
    target_pid: int
    kdamond_pid: int
    tree: dict[str, str]  # every file of the kernel's kdamonds directory


@pytest.fixture
def foreign() -> Iterator[Foreign]:
    """``echo``-style writes, the way a user or another tool starts a kdamond."""
    target = subprocess.Popen(["sleep", "600"])
    d = KDAMONDS / "0"
    raw_write(KDAMONDS / "nr_kdamonds", 1)
    raw_write(d / "contexts/nr_contexts", 1)
    raw_write(d / "contexts/0/operations", "vaddr")
    raw_write(d / "contexts/0/targets/nr_targets", 1)
    raw_write(d / "contexts/0/targets/0/pid_target", target.pid)
    raw_write(d / "state", "on")
    assert read(d / "state") == "on"
    yield Foreign(target.pid, int(read(d / "pid")), tree_text(KDAMONDS))
    target.kill()
    target.wait()


def assert_untouched(f: Foreign) -> None:
    assert tree_text(KDAMONDS) == f.tree
    assert not any(STATE_DIR.glob("*"))


def test_foreign_kdamond_blocks_record_kernel_naming_its_pid(foreign, tmp_path):
    out = tmp_path / "r.rec"
    err = one_line_error(run_cli("record", "--kernel", "--pid", str(foreign.target_pid),
                                 "-o", str(out), "--duration", "2s"))
    assert f"pid {foreign.kdamond_pid}" in err and "not started by damon-tui" in err, err
    assert not out.exists()
    assert_untouched(foreign)


def test_foreign_kdamond_blocks_monitor_kernel_too(foreign):
    err = one_line_error(run_cli("monitor", "--kernel", "--pid", str(foreign.target_pid),
                                 "--duration", "2s"))
    assert f"pid {foreign.kdamond_pid}" in err, err
    assert_untouched(foreign)


def test_status_describes_the_foreign_kdamond(foreign):
    res = run_cli("status", "--json")
    assert res.returncode == 0, res.stderr
    st = json.loads(res.stdout)
    (k,) = st["kdamonds"]
    assert (k["index"], k["state"], k["pid"], k["ours"]) == (0, "on", foreign.kdamond_pid,
                                                             False)
    (ctx,) = k["contexts"]
    assert ctx["operations"] == "vaddr"
    (target,) = ctx["targets"]["items"]
    assert target["pid_target"] == foreign.target_pid
    assert set(st["modules"]) == {"damon_reclaim", "damon_lru_sort"}
    assert st["modules"]["damon_reclaim"]["enabled"] == "N"
    text = run_cli("status")
    assert f"kdamond 0: state on, pid {foreign.kdamond_pid}, not ours" in text.stdout
    assert_untouched(foreign)


def test_stop_never_turns_off_a_foreign_kdamond(foreign):
    res = run_cli("stop")
    assert res.returncode == 0, res.stderr
    time.sleep(0.5)
    assert read(KDAMONDS / "0/state") == "on"
    assert_untouched(foreign)


def test_module_refused_while_a_sysfs_kdamond_runs_says_ebusy(foreign):
    err = one_line_error(run_cli("preset", "apply", "reclaim", "--kernel"))
    assert "EBUSY" in err, err
    assert read(MODULE_PARAMS["damon_reclaim"] / "enabled") == "N"
    assert_untouched(foreign)
