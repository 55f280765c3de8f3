"""``damon-tui stop`` turns off a kdamond a crashed damon-tui run left on."""

from __future__ import annotations

import signal
import subprocess

from guestlib import KDAMONDS, Cli, read, run_cli, wait_for


def test_stop_turns_off_the_kdamond_of_a_killed_record(tmp_path):
    target = subprocess.Popen(["sleep", "600"])
    record = Cli().popen("record", "--kernel", "--pid", str(target.pid),
                         "-o", str(tmp_path / "r.rec"))
    try:
        wait_for(lambda: read(KDAMONDS / "nr_kdamonds") == "1"
                 and read(KDAMONDS / "0/state") == "on", 180, "record's kdamond to run")
        record.send_signal(signal.SIGKILL)  # a crash: no cleanup
        record.wait(timeout=30)
        assert read(KDAMONDS / "0/state") == "on"
        status = run_cli("status")
        assert "kdamond 0: state on" in status.stdout and ", ours" in status.stdout, \
            status.stdout
        res = run_cli("stop")
        assert res.returncode == 0, res.stderr
        assert "kdamond 0" in res.stdout, res.stdout
        wait_for(lambda: read(KDAMONDS / "nr_kdamonds") == "0"
                 or read(KDAMONDS / "0/state") == "off", 20, "stop to turn it off")
        again = run_cli("stop")
        assert again.returncode == 0, again.stderr
    finally:
        if record.poll() is None:
            record.kill()
        target.kill()
        target.wait()


def test_sigterm_ends_record_kernel_and_leaves_the_tree_as_found(tmp_path):
    target = subprocess.Popen(["sleep", "600"])
    out = tmp_path / "r.rec"
    record = Cli().popen("record", "--kernel", "--pid", str(target.pid), "-o", str(out))
    try:
        wait_for(lambda: read(KDAMONDS / "nr_kdamonds") == "1"
                 and read(KDAMONDS / "0/state") == "on", 180, "record's kdamond to run")
        wait_for(lambda: out.exists() and out.stat().st_size > 0, 60, "a first snapshot")
        record.send_signal(signal.SIGTERM)
        record.wait(timeout=60)
        assert read(KDAMONDS / "nr_kdamonds") == "0"
    finally:
        if record.poll() is None:
            record.kill()
        target.kill()
        target.wait()
