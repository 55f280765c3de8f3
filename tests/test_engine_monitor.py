"""The monitoring loop: sampling, aggregation, region bounds, clocks, hooks, stop."""

from __future__ import annotations

import threading
import time
from array import array

import pytest
from damon_tui._fast.regions import stripes_check

from damon_tui.engine import Attrs, Monitor, SchemeHook, Snapshot, TargetSnapshot
from damon_tui.ops.base import Ops, TargetGone, TargetInfo

GIB = 1 << 30
MIB = 1 << 20


class BandOps(Ops):
    """Every address in ``[lo, hi)`` is accessed at every sample; nothing else is."""

    kind = "fake"
    clock = "virtual"

    def __init__(self, lo: int, hi: int, ranges=((0, GIB),), clock="virtual",
                 gone_at_us: int | None = None) -> None:
        self.lo, self.hi = lo, hi
        self.ranges = list(ranges)
        self.clock = clock
        self.gone_at_us = gone_at_us
        self.prepared = 0
        self.checked = 0
        self.ranges_calls = 0

    def targets(self):
        return [TargetInfo(0, "band")]

    def target_ranges(self, target_idx):
        self.ranges_calls += 1
        return self.ranges

    def prepare_access_checks(self, target_idx, addrs, now_us):
        assert isinstance(addrs, array) and addrs.typecode == "Q"
        self.prepared += 1

    def check_accesses(self, target_idx, addrs, out, now_us):
        if self.gone_at_us is not None and now_us >= self.gone_at_us:
            raise TargetGone("exited")
        self.checked += 1
        lo, hi = self.lo, self.hi
        for i, a in enumerate(addrs):
            if lo <= a < hi:
                out[i] = 1


class StripeOps(Ops):
    """Two targets; accessed iff bit ``shift`` of the address is set (checked in C)."""

    kind = "fake"
    clock = "virtual"

    def __init__(self, shift=20):
        self.shift = shift

    def targets(self):
        return [TargetInfo(0, "a"), TargetInfo(1, "b")]

    def target_ranges(self, target_idx):
        return [(0, GIB)] if target_idx == 0 else [(4 * GIB, 4 * GIB + 256 * MIB)]

    def prepare_access_checks(self, target_idx, addrs, now_us):
        pass

    def check_accesses(self, target_idx, addrs, out, now_us):
        stripes_check(addrs, out, self.shift)


def _run(ops, attrs=None, seed=0, duration_us=5_000_000, **kw) -> list[Snapshot]:
    return list(Monitor(ops, attrs or Attrs(), seed=seed).run(duration_us, **kw))


def test_band_regions_reach_nr_samples_and_others_stay_zero():
    lo, hi = 100 * MIB, 300 * MIB
    snaps = _run(BandOps(lo, hi), duration_us=10_000_000)
    assert len(snaps) == 100
    last = snaps[-1].targets[0]
    nr_samples = snaps[-1].nr_samples
    assert nr_samples == 20
    for start, end, nr, _age in last:
        if lo <= start and end <= hi:
            assert nr == nr_samples
        elif end <= lo or start >= hi:
            assert nr == 0
    # regions converge on the band: the hot bytes are about hi - lo
    hot = sum(e - s for s, e, nr, _ in last if nr == nr_samples)
    assert abs(hot - (hi - lo)) < 16 * MIB
    # a region that stayed hot keeps ageing
    assert max(last.ages) > 50


def test_region_count_stays_within_min_and_max():
    attrs = Attrs(min_nr_regions=10, max_nr_regions=60)
    snaps = _run(StripeOps(shift=22), attrs, duration_us=20_000_000)
    counts = [sum(len(t) for t in s.targets) for s in snaps]
    assert min(counts) >= 10
    assert max(counts) <= 60
    assert max(counts) > 30  # stripes keep many regions alive


def test_snapshot_windows_are_contiguous_and_cover_targets():
    snaps = _run(StripeOps(), duration_us=1_000_000)
    assert [(s.start_us, s.end_us) for s in snaps] == [
        (i * 100_000, (i + 1) * 100_000) for i in range(10)]
    for s in snaps:
        assert [t.target_id for t in s.targets] == [0, 1]
        assert s.targets[0].total_bytes == GIB
        assert s.targets[1].total_bytes == 256 * MIB
        t = s.targets[0]
        assert isinstance(t, TargetSnapshot)
        assert t.starts.typecode == "Q" and t.nr_accesses.typecode == "I"
        assert list(t) == list(zip(t.starts, t.ends, t.nr_accesses, t.ages, strict=True))
        assert len(t) == len(t.starts)
        assert all(0 <= n <= s.nr_samples for n in t.nr_accesses)


def test_same_seed_gives_identical_snapshots_other_seed_differs():
    a = _run(StripeOps(), seed=3, duration_us=3_000_000)
    b = _run(StripeOps(), seed=3, duration_us=3_000_000)
    c = _run(StripeOps(), seed=4, duration_us=3_000_000)
    assert a == b
    assert a != c


def test_two_calls_per_target_per_sample():
    ops = BandOps(0, MIB)
    snaps = _run(ops, duration_us=1_000_000)
    assert len(snaps) == 10
    assert ops.prepared == ops.checked == 200


def test_target_gone_ends_run_cleanly():
    snaps = _run(BandOps(0, MIB, gone_at_us=550_000), duration_us=None)
    assert len(snaps) == 5


def test_stop_from_another_thread():
    mon = Monitor(BandOps(0, MIB), Attrs())
    got = []

    def consume():
        for s in mon.run(None, speed=10.0):
            got.append(s)

    th = threading.Thread(target=consume)
    th.start()
    deadline = time.monotonic() + 30  # a loaded machine may be slow to start the thread
    while not got and time.monotonic() < deadline:
        time.sleep(0.005)
    mon.stop()
    th.join(30)
    assert not th.is_alive()
    assert got  # it ran, and stop() ended an endless run


def test_speed_paces_virtual_time():
    mon = Monitor(BandOps(0, MIB), Attrs())
    mon.use_fake_clock()
    snaps = list(mon.run(1_000_000, speed=10.0))
    assert len(snaps) == 10
    # 1 s of virtual time at 10x: the engine sleeps 0.1 s in all (the fake clock moves
    # only when it sleeps, so every sample waits its whole 500 us share)
    assert mon.slept_us == 100_000


def test_speed_paces_virtual_time_on_the_real_clock():
    t0 = time.monotonic()
    snaps = _run(BandOps(0, MIB), duration_us=1_000_000, speed=10.0)
    assert len(snaps) == 10
    assert time.monotonic() - t0 >= 0.09  # a lower bound only: load can only add time


def test_wall_clock_ops_sleep_between_samples():
    ops = BandOps(0, MIB, clock="wall")
    attrs = Attrs(sample_us=1000, aggr_us=10_000, min_nr_regions=3, max_nr_regions=20)
    mon = Monitor(ops, attrs)
    mon.use_fake_clock(start_us=123_456_789)
    snaps = list(mon.run(60_000))
    assert [s.end_us for s in snaps] == [10_000, 20_000, 30_000, 40_000, 50_000, 60_000]
    assert mon.slept_us == 60_000  # one sample_us sleep per sample
    assert ops.checked == 60


def test_update_interval_refreshes_ranges():
    ops = BandOps(0, MIB, ranges=[(0, 64 * MIB)])
    attrs = Attrs(update_us=1_000_000)
    mon = Monitor(ops, attrs)
    first = list(mon.run(500_000))
    assert first[-1].targets[0].total_bytes == 64 * MIB
    ops.ranges = [(32 * MIB, 128 * MIB)]
    later = list(mon.run(1_000_000))
    assert later[-1].targets[0].starts[0] == 32 * MIB
    assert later[-1].targets[0].ends[-1] == 128 * MIB
    assert ops.ranges_calls == 2


def test_target_ranges_none_keeps_regions():
    class KeepOps(BandOps):
        def target_ranges(self, target_idx):
            self.ranges_calls += 1
            return [(0, GIB)] if self.ranges_calls == 1 else None

    snaps = _run(KeepOps(0, MIB), Attrs(update_us=200_000), duration_us=1_000_000)
    assert snaps[-1].targets[0].total_bytes == GIB


class RecordingHook:
    """A :class:`SchemeHook` that records the calls the engine makes."""

    schemes = ("x",)

    def __init__(self, idle_first_us: int = 0):
        self.calls = []
        self.waits = 0
        self.idle_first_us = idle_first_us
        self.attrs_changes = []

    def wait_us(self, now_us):
        self.waits += 1
        return self.idle_first_us if self.waits == 1 else 0

    def apply(self, region_lists, passed, next_aggr, now_us, max_region_sz):
        rl = region_lists[0]
        self.calls.append((passed, max(rl.get(i)[2] for i in range(len(rl)))))
        return ("stats",)

    def set_attrs(self, sample_us, aggr_us, passed):
        self.attrs_changes.append((sample_us, aggr_us, passed))


def test_damos_hooks_see_full_window_counts_before_reset():
    hook: SchemeHook = RecordingHook()
    mon = Monitor(BandOps(0, GIB), Attrs(), damos=hook)
    snaps = list(mon.run(300_000))
    assert hook.waits == 60
    assert [p for p, _ in hook.calls] == list(range(1, 61))
    at_aggr = [nr for p, nr in hook.calls if p % 20 == 0]
    assert at_aggr == [20, 20, 20]
    assert all(s.schemes == ("stats",) for s in snaps)
    assert mon.schemes == ("x",)


def test_no_hooks_without_schemes():
    mon = Monitor(BandOps(0, GIB), Attrs())
    list(mon.run(300_000))
    assert mon.damos is None and mon.schemes == ()


def test_watermark_wait_suspends_sampling():
    ops = BandOps(0, GIB)
    hook = RecordingHook(idle_first_us=1_000_000)
    mon = Monitor(ops, Attrs(), damos=hook)
    snaps = list(mon.run(1_100_000))
    assert ops.checked == 20
    assert len(snaps) == 1 and snaps[0].end_us == 1_100_000
    assert mon.passed == 20


def test_monitor_exposes_state_for_damos():
    mon = Monitor(BandOps(0, MIB), Attrs())
    list(mon.run(100_000))
    assert mon.passed == 20 and mon.next_aggr == 40
    assert mon.now_us == 100_000
    assert mon.nr_regions == sum(len(rl) for rl in mon.region_lists)
    assert mon.region_sz_limit() == max(4096, GIB // 10)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sample_us": 0}, "sample_us"),
        ({"aggr_us": -1}, "aggr_us"),
        ({"update_us": 0}, "update_us"),
        ({"min_nr_regions": 2}, "min_nr_regions"),
        ({"min_nr_regions": 20, "max_nr_regions": 10}, "max_nr_regions"),
        ({"sample_us": 200_000}, "aggr_us"),
        ({"sample_us": "5ms"}, "sample_us"),
    ],
)
def test_attrs_errors_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        Attrs(**kwargs)


def test_attrs_nr_samples_and_frozen():
    a = Attrs(sample_us=5000, aggr_us=100_000)
    assert a.nr_samples == 20
    assert Attrs(sample_us=3, aggr_us=10).nr_samples == 3
    with pytest.raises(AttributeError):
        a.sample_us = 1  # type: ignore[misc]


def test_set_attrs_online_changes_windows_and_rescales():
    mon = Monitor(BandOps(0, GIB), Attrs())
    snaps = []
    for s in mon.run(1_000_000):
        snaps.append(s)
        if len(snaps) == 2:
            mon.set_attrs(Attrs(sample_us=10_000, aggr_us=200_000))
    assert mon.attrs.aggr_us == 200_000
    assert [s.aggr_us for s in snaps[:2]] == [100_000, 100_000]
    late = snaps[-1]
    assert late.aggr_us == 200_000 and late.nr_samples == 20
    assert late.end_us - late.start_us == 200_000
    assert all(n == 20 for n in late.targets[0].nr_accesses)


def test_set_attrs_when_idle_applies_now():
    mon = Monitor(BandOps(0, GIB), Attrs())
    mon.set_attrs(Attrs(aggr_us=50_000))
    assert mon.attrs.aggr_us == 50_000
    assert len(list(mon.run(200_000))) == 4
    with pytest.raises(TypeError):
        mon.set_attrs({"aggr_us": 1})  # type: ignore[arg-type]


def test_update_failure_keeps_regions_and_target_gone_at_update_ends():
    from damon_tui.ops.base import OpsError

    class FlakyOps(BandOps):
        def target_ranges(self, target_idx):
            self.ranges_calls += 1
            if self.ranges_calls == 2:
                raise OpsError("maps unreadable")
            if self.ranges_calls == 3:
                raise TargetGone("exited")
            return [(0, GIB)]

    ops = FlakyOps(0, MIB)
    snaps = _run(ops, Attrs(update_us=300_000), duration_us=None)
    assert ops.ranges_calls == 3
    assert len(snaps) == 6  # the window ending at the second update is still yielded
    assert snaps[-1].targets[0].total_bytes == GIB


def test_snapshot_is_taken_after_the_schemes_ran_like_the_damon_aggregated_tracepoint():
    class AgeStamper(RecordingHook):
        def apply(self, region_lists, passed, next_aggr, now_us, max_region_sz):
            if passed >= next_aggr:  # at the aggregation boundary: act like DAMOS would
                region_lists[0].set_age(0, 12345)
            return super().apply(region_lists, passed, next_aggr, now_us, max_region_sz)

    mon = Monitor(BandOps(0, GIB), Attrs(), damos=AgeStamper())
    snaps = list(mon.run(300_000))
    assert [s.targets[0].ages[0] for s in snaps] == [12345] * 3
