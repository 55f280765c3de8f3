"""SIGTERM and SIGHUP end record/monitor like Ctrl-C; a launched command never outlives
the recorder, even one killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from damon_tui.record import open_record


def _start(args, tmp_path):
    return subprocess.Popen([sys.executable, "-m", "damon_tui", *args], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(cond, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig,fmt", [(signal.SIGTERM, "damo-json"),
                                     (signal.SIGHUP, "damon-tui")])
def test_signal_ends_record_with_a_complete_file_and_a_summary(tmp_path, sig, fmt):
    out = tmp_path / "out.rec"
    p = _start(["record", "--sim", "zigzag", "--duration", "100000s", "--format", fmt,
                "-o", str(out)], tmp_path)
    # wait until snapshots are being recorded (the hidden working file has frames)
    started = _wait_for(lambda: any(f.stat().st_size > 2000 for f in tmp_path.iterdir()))
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    # each failure says what record printed (a failure seen once under load is unexplained)
    assert started, f"no frames within 30 s; record said: {err[-3000:]}"
    assert p.returncode == 0, err
    assert f"{signal.Signals(sig).name} received" in err and "recorded" in err, err
    assert "Traceback" not in err, err
    assert open_record(str(out)).nr_snapshots > 0, err
    assert sorted(os.listdir(tmp_path)) == ["out.rec"], err  # no hidden temp file left


def test_sigterm_ends_monitor_with_its_summary(tmp_path):
    p = _start(["monitor", "--sim", "zigzag", "--duration", "100000s", "--every", "0"],
               tmp_path)
    assert p.stdout.readline().startswith("# damon-tui monitor")
    p.stdout.readline()
    p.stdout.readline()  # one aggregation printed: monitoring runs
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert "# SIGTERM received" in out and "working-set size percentiles" in out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_launched_command_dies_with_a_killed_recorder(tmp_path):
    marker = tmp_path / "child.pid"
    p = _start(["record", "-o", str(tmp_path / "r.rec"), "--access-check", "clear-refs",
                "--", "sh", "-c", f"echo $$ > {marker}; exec sleep 60"], tmp_path)
    assert _wait_for(lambda: marker.exists() and marker.read_text().strip())
    child = int(marker.read_text())
    if not _alive(child):
        p.kill()
        _, err = p.communicate(timeout=30)
        raise AssertionError(f"the command {child} died early; record said: {err[-3000:]}")
    p.kill()
    p.wait(timeout=30)
    assert _wait_for(lambda: not _alive(child), timeout=10), "the command outlived record"
