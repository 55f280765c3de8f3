"""Real-target errors: permission denied, no such PID, a target that exits mid-run,
and the ``-- COMMAND`` launch form."""

import importlib
import os
import subprocess
import sys
import time

import pytest

from damon_tui import cli
from damon_tui.errors import UserError
from damon_tui.options.targets import add_real_target_arguments, parse_ranges, real_ops_from_args


def _dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_nonexistent_pid_is_one_sentence():
    from damon_tui.ops.vaddr import VaddrOps

    pid = _dead_pid()
    with pytest.raises(UserError, match=f"no process with PID {pid}"):
        VaddrOps([pid])


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_permission_denied_names_the_file_and_the_doctor_line():
    code = ("import os, sys\n"
            "from damon_tui.ops.vaddr import VaddrOps; from damon_tui.errors import UserError\n"
            "import damon_tui.capabilities, damon_tui.ops.madvise, damon_tui.units\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "try:\n    VaddrOps([1])\nexcept UserError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=30)
    assert "permission denied reading /proc/1/maps" in out.stdout, out
    assert "running as root: no" in out.stdout


def test_target_exiting_ends_monitoring_cleanly():
    engine = importlib.import_module("damon_tui.engine")
    from damon_tui.ops.vaddr import VaddrOps

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.0)"])
    ops = VaddrOps([child.pid], access_check="clear-refs", child=child)
    monitor = engine.Monitor(ops, engine.Attrs(sample_us=20_000, aggr_us=200_000,
                                               update_us=1_000_000))
    t0 = time.monotonic()
    snaps = list(monitor.run(duration_us=30_000_000))
    ops.close()
    assert time.monotonic() - t0 < 10 and len(snaps) >= 1
    assert child.poll() is not None


def test_launch_form_targets_the_command(tmp_path):
    import argparse

    parser = argparse.ArgumentParser()
    add_real_target_arguments(parser.add_argument_group("target"))
    args = parser.parse_args(["--access-check", "clear-refs", "--",
                              sys.executable, "-c", "import time; time.sleep(30)"])
    ops = real_ops_from_args(args)
    try:
        assert ops.kind == "vaddr" and ops.child is not None
        assert ops.pids() == [ops.child.pid]
        # the description names the launched command, cut to 60 characters
        command = f"{sys.executable} -c import time; time.sleep(30)"
        shown = command if len(command) <= 60 else command[:57] + "..."
        assert ops.targets()[0].description == f"pid {ops.child.pid} ({shown})"
    finally:
        ops.close()
    assert ops.child.poll() is not None  # close() ends the launched command


def test_a_launched_command_caught_mid_exec_is_tried_again(monkeypatch):
    """sh -c '...; exec app': the first look may find the maps empty or refused while the
    exec runs; the ops are tried again while the command runs, not the command killed."""
    import argparse

    from damon_tui.options import targets

    real, calls = targets.VaddrOps, []

    def flaky(*a, **kw):
        calls.append(1)
        if len(calls) < 3:
            raise UserError("process has no user memory (a kernel thread?)")
        return real(*a, **kw)

    monkeypatch.setattr(targets, "VaddrOps", flaky)
    parser = argparse.ArgumentParser()
    add_real_target_arguments(parser.add_argument_group("target"))
    args = parser.parse_args(["--access-check", "clear-refs", "--", "sleep", "30"])
    ops = real_ops_from_args(args)
    try:
        assert len(calls) == 3 and ops.child.poll() is None
    finally:
        ops.close()


def test_a_launched_command_refused_every_time_ends_with_the_error(monkeypatch):
    import argparse

    from damon_tui.options import targets

    calls = []

    def refused(*a, **kw):
        calls.append(1)
        raise UserError("process has no user memory (a kernel thread?)")

    monkeypatch.setattr(targets, "VaddrOps", refused)
    parser = argparse.ArgumentParser()
    add_real_target_arguments(parser.add_argument_group("target"))
    args = parser.parse_args(["--", "sleep", "30"])
    with pytest.raises(UserError, match="no user memory"):
        real_ops_from_args(args)
    assert len(calls) == targets.LAUNCH_SETTLE_TRIES  # it kept running: every try made


def test_option_errors():
    assert parse_ranges("16K-32K, 0x1000-0x2000") == [(0x1000, 0x2000), (16384, 32768)]
    with pytest.raises(UserError, match="overlap"):
        parse_ranges("0x1000-0x3000,0x2000-0x4000")
    with pytest.raises(UserError, match="empty"):
        parse_ranges("0x2000-0x1000")
    assert cli.main(["doctor", "--plain"]) == 0


def test_monitor_command_with_missing_pid_exits_2(capsys):
    pid = _dead_pid()
    assert cli.main(["monitor", "--pid", str(pid), "--duration", "1s"]) == 2
    assert f"no process with PID {pid}" in capsys.readouterr().err
