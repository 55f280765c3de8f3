"""clear_refs intervals follow the measured sampling cost while monitoring (fake cost model)."""

import argparse
from array import array

import pytest
from fake_kernel import FakeKernel

from damon_tui.engine import Attrs, IntervalsGoal, Monitor
from damon_tui.ops import vaddr
from damon_tui.ops.vaddr import (
    CLEAR_REFS_MIN_SAMPLE_US,
    RETUNE_MIN_SAMPLES,
    VaddrOps,
    clear_refs_intervals,
)
from damon_tui.options.attrs import retuner_from_args
from damon_tui.retune import IntervalRetuner

PID = 77
VMAS = [(0x100000, 0x200000), (0x400000, 0x800000), (0x1000000, 0x1400000)]


class FakeCPU:
    """A CPU clock for the ops: each prepare or check (two reads) costs ``cost_s / 2``,
    so one sample (prepare + check) costs ``cost_s``; the test changes ``cost_s``."""

    def __init__(self, cost_s: float) -> None:
        self.cost_s = cost_s
        self.t = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        if self.reads % 2 == 0:
            self.t += self.cost_s / 2
        return self.t


@pytest.fixture
def kernel(tmp_path):
    k = FakeKernel(tmp_path)
    k.bitmap.unlink()
    k.add_process(PID, VMAS, refs={VMAS[0][0]: 0x100000})
    return k


def _samples(ops, n):
    addrs, out = array("Q", [VMAS[0][0], VMAS[1][0]]), array("B", [0, 0])
    for _ in range(n):
        ops.prepare_access_checks(0, addrs, 0)
        ops.check_accesses(0, addrs, out, 0)


def test_intervals_keep_the_cpu_budget_with_a_floor():
    assert clear_refs_intervals(0.0) == (CLEAR_REFS_MIN_SAMPLE_US, 20 * CLEAR_REFS_MIN_SAMPLE_US)
    assert clear_refs_intervals(0.010) == (250_000, 5_000_000)  # 10 ms / 4 %
    assert clear_refs_intervals(0.0101)[0] == 260_000  # rounded up to 10 ms
    sizes = [clear_refs_intervals(c / 1000)[0] for c in range(0, 100, 3)]
    assert sizes == sorted(sizes) and min(sizes) == CLEAR_REFS_MIN_SAMPLE_US


def test_hint_is_the_mean_cost_measured_since_the_last_hint(kernel):
    cpu = FakeCPU(0.002)
    ops = VaddrOps([PID], root=kernel.root, cpu_clock=cpu)
    assert ops.default_intervals[0] == CLEAR_REFS_MIN_SAMPLE_US  # 2 ms / 4 % = 50 ms -> floor
    _samples(ops, RETUNE_MIN_SAMPLES - 1)
    assert ops.retune_hint() is None  # not enough samples yet
    _samples(ops, 1)
    assert ops.retune_hint() == clear_refs_intervals(0.002)
    assert ops.last_sample_cost_s == pytest.approx(0.002)
    cpu.cost_s = 0.020  # the target grew: 10x the page-table walk
    _samples(ops, RETUNE_MIN_SAMPLES)
    assert ops.retune_hint() == (500_000, 10_000_000)
    assert ops.last_sample_cost_s == pytest.approx(0.020)


def test_page_idle_checks_never_hint(tmp_path):
    k = FakeKernel(tmp_path)
    k.add_process(PID, VMAS)
    ops = VaddrOps([PID], root=k.root, access_check="page-idle", cpu_clock=FakeCPU(1.0))
    _samples(ops, RETUNE_MIN_SAMPLES)
    assert ops.access_check == "page idle" and ops.retune_hint() is None


class _FakeMonitor:
    def __init__(self, ops, attrs):
        self.ops, self.attrs, self.applied = ops, attrs, []

    def set_attrs(self, attrs):
        self.applied.append(attrs)
        self.attrs = attrs


class _ScriptedOps:
    retune_floor_us = 100_000

    def __init__(self, hints):
        self.hints = list(hints)

    def retune_hint(self):
        return self.hints.pop(0)


def test_retuner_grows_shrinks_with_hysteresis_and_never_below_floor():
    ops = _ScriptedOps([None, (110_000, 2_200_000), (200_000, 4_000_000),
                        (150_000, 3_000_000), (90_000, 1_800_000), (10_000, 200_000)])
    mon = _FakeMonitor(ops, Attrs(sample_us=100_000, aggr_us=2_000_000, update_us=1_000_000))
    r = IntervalRetuner(mon)
    assert r.poll() is None  # nothing measured
    assert r.poll() is None  # +10 %: within the hysteresis band
    assert r.poll().sample_us == 200_000  # doubled: grow
    assert r.poll() is None  # -25 %: stays
    new = r.poll()  # under half: shrink, but to the floor
    assert (new.sample_us, new.aggr_us) == (100_000, 2_000_000)
    assert r.poll() is None  # below the floor: already there
    assert r.history == [(200_000, 4_000_000), (100_000, 2_000_000)]
    assert mon.attrs.update_us == 1_000_000 and mon.attrs.min_nr_regions == 10


def test_monitor_intervals_grow_with_the_measured_cost(kernel, monkeypatch):
    """End to end through Monitor.run/set_attrs, with small intervals to keep it fast."""
    monkeypatch.setattr(vaddr, "CLEAR_REFS_MIN_SAMPLE_US", 10_000)
    monkeypatch.setattr(vaddr, "SAMPLES_PER_AGGR", 4)
    monkeypatch.setattr(vaddr, "RETUNE_MIN_SAMPLES", 4)
    cpu = FakeCPU(0.0002)  # 0.2 ms / 4 % = 5 ms: the 10 ms floor
    ops = VaddrOps([PID], root=kernel.root, cpu_clock=cpu)
    ops.retune_floor_us = 10_000
    sample_us, aggr_us = ops.default_intervals
    assert (sample_us, aggr_us) == (10_000, 40_000)
    monitor = Monitor(ops, Attrs(sample_us=sample_us, aggr_us=aggr_us, update_us=1_000_000,
                                 min_nr_regions=3, max_nr_regions=10))
    args = argparse.Namespace(sample=None, aggr=None)
    retune = retuner_from_args(args, monitor)
    assert retune is not None
    seen = []
    for i, snap in enumerate(monitor.run()):
        seen.append(snap.sample_us)
        if i == 1:
            cpu.cost_s = 0.0016  # the launched command grew: 1.6 ms / 4 % = 40 ms
        retune.poll()
        if len(seen) >= 6:
            monitor.stop()
    ops.close()
    assert seen[:2] == [10_000, 10_000]
    assert seen[-1] == 40_000 and min(seen) >= 10_000
    assert monitor.attrs.sample_us == 40_000 and monitor.attrs.aggr_us == 160_000
    assert seen == sorted(seen)


@pytest.mark.parametrize("given", [{"sample": "5ms"}, {"aggr": "1s"}, {"preset": "reclaim"},
                                   {"profile": "example"},
                                   {"attrs": Attrs(intervals_goal=IntervalsGoal(
                                       40, 3, 1000, 10_000_000))}])
def test_no_retuning_when_the_user_chose_the_intervals(kernel, given):
    ops = VaddrOps([PID], root=kernel.root, cpu_clock=FakeCPU(0.001))
    attrs = given.pop("attrs", Attrs(sample_us=100_000, aggr_us=2_000_000))
    monitor = Monitor(ops, attrs)
    args = argparse.Namespace(**{"sample": None, "aggr": None, "preset": None, "profile": None,
                                 "damos_attrs": attrs, **given})
    assert retuner_from_args(args, monitor) is None
    plain = Monitor(ops, Attrs(sample_us=100_000, aggr_us=2_000_000))
    args = argparse.Namespace(sample=None, aggr=None, preset=None, damos_attrs=plain.attrs)
    assert retuner_from_args(args, plain) is not None
    ops.close()
