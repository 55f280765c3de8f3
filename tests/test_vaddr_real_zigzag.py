"""End to end on this machine: a real zigzag workload monitored through vaddr with
clear_refs checks; the two 100 MB mappings take turns being hot."""

import subprocess
import sys
import time

import pytest

from damon_tui.ops.procfs import ProcFS

REGION = 100_000_000
SCALE = 0.4  # init 4 s, then 2 s phases


def _wait_mappings(pid, timeout=10.0):
    procfs = ProcFS("/")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        big = [(m.start, m.end) for m in procfs.read_maps(pid)
               if REGION <= m.end - m.start < REGION + 8192]
        if len(big) == 2:
            return sorted(big)
        time.sleep(0.05)
    raise AssertionError("the workload's two 100 MB mappings did not appear")


def _hot_fraction(snap, lo, hi):
    nr_samples = snap.aggr_us // snap.sample_us
    total = 0
    for start, end, nr, _ in snap.targets[0]:
        overlap = min(end, hi) - max(start, lo)
        if overlap > 0:
            total += overlap * nr
    return total / ((hi - lo) * nr_samples)


def test_zigzag_mappings_take_turns(shared_dir):
    engine = pytest.importorskip("damon_tui.engine")
    from damon_tui.ops.vaddr import VaddrOps

    cfg = shared_dir / "masim-configs" / "zigzag.cfg"
    child = subprocess.Popen([sys.executable, "-m", "damon_tui.commands.workload", str(cfg),
                              "--time-scale", str(SCALE)], stdout=subprocess.PIPE, text=True)
    try:
        (a, b) = _wait_mappings(child.pid)
        ops = VaddrOps([child.pid], access_check="clear-refs", child=child)
        assert ops.resolution == "per mapping"
        attrs = engine.Attrs(sample_us=10_000, aggr_us=100_000, update_us=500_000)
        monitor = engine.Monitor(ops, attrs, seed=1)
        labels = []
        for snap in monitor.run(duration_us=12_000_000):
            fa, fb = _hot_fraction(snap, *a), _hot_fraction(snap, *b)
            if abs(fa - fb) > 0.5:
                labels.append("a" if fa > fb else "b")
        ops.close()
    finally:
        child.kill()
        child.wait()
    runs = [x for i, x in enumerate(labels) if i == 0 or labels[i - 1] != x]
    # after the 4 s initial phase (both equally hot): a, b, a, b (2 s each).  A sample
    # costs tens of ms on a loaded machine, so windows are longer than aggr_us.
    assert len(labels) >= 6, labels
    assert runs[:3] in (["a", "b", "a"], ["b", "a", "b"]), "".join(labels)
    assert len(runs) <= 6, "".join(labels)
