"""A recorder killed with SIGKILL loses at most the frame being written."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time

import pytest

from damon_tui.record import open_record


def test_sigkilled_recorder_keeps_every_frame_before_the_kill(tmp_path):
    engine = importlib.import_module("damon_tui.engine")
    sim = importlib.import_module("damon_tui.ops.sim")
    path = tmp_path / "killed.rec"
    child = subprocess.Popen(
        [sys.executable, "-m", "damon_tui", "record", "--sim", "zigzag", "--duration", "1h",
         "-o", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if path.exists() and path.stat().st_size > 20_000:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the recorder wrote nothing in 30 s")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    rec = open_record(path)
    n = rec.nr_snapshots
    assert n > 100
    # at most the frame being written is damaged
    assert len(rec.warnings) <= 1
    if rec.warnings:
        assert "truncated frame" in rec.warnings[0]
    # the recovered snapshots are exactly what the same deterministic run produces
    ops = sim.SimOps("zigzag", seed=0)
    attrs = engine.Attrs(sample_us=5000, aggr_us=100_000, update_us=1_000_000,
                         min_nr_regions=10, max_nr_regions=1000)
    t = rec.targets[0]
    for i, snap in enumerate(engine.Monitor(ops, attrs, seed=0).run(n * 100_000)):
        if i >= n:
            break
        assert t.regions(i) == list(snap.targets[0]), f"snapshot {i} differs"
