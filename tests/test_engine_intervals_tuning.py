"""Monitoring intervals auto-tuning (kernel 6.15+, damon-reference §1.6, §1.7, §5)."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from damon_tui.engine import Attrs, IntervalsGoal, Monitor, Snapshot, tune_intervals
from damon_tui.errors import UserError
from damon_tui.ops.base import Ops, TargetInfo

GIB = 1 << 30
GOAL = IntervalsGoal(access_bp=40, aggrs=3, min_sample_us=1000, max_sample_us=100_000)


class BandOps(Ops):
    """Every address in ``[lo, hi)`` is accessed at every sample; nothing else is."""

    kind = "fake"
    clock = "virtual"

    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi

    def targets(self):
        return [TargetInfo(0, "band")]

    def target_ranges(self, target_idx):
        return [(0, GIB)]

    def prepare_access_checks(self, target_idx, addrs, now_us):
        pass

    def check_accesses(self, target_idx, addrs, out, now_us):
        for i, a in enumerate(addrs):
            if self.lo <= a < self.hi:
                out[i] = 1


def _run(ops, attrs, duration_us=30_000_000, seed=0) -> tuple[Monitor, list[Snapshot]]:
    mon = Monitor(ops, attrs, seed=seed)
    return mon, list(mon.run(duration_us))


def _ratio_bp(snap: Snapshot) -> float:
    events = sum((e - s) * n for t in snap.targets for s, e, n, _ in t)
    total = sum(t.total_bytes for t in snap.targets)
    return events * 10000 / (total * snap.nr_samples)


# -- validation (damon_set_attrs) -----------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"intervals_goal": IntervalsGoal(40, 3, 6000, 5000)}, "intervals_goal.max_sample_us"),
        ({"intervals_goal": IntervalsGoal(40, 3, 6000, 10_000)}, "sample_us"),
        ({"intervals_goal": IntervalsGoal(40, 3, 1000, 4000)}, "sample_us"),
    ],
)
def test_goal_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field}:"):
        Attrs(**kwargs)


@pytest.mark.parametrize("name", ["access_bp", "aggrs", "min_sample_us", "max_sample_us"])
def test_goal_fields_must_be_non_negative_integers(name):
    with pytest.raises(ValueError, match=rf"^intervals_goal\.{name}:"):
        IntervalsGoal(**{name: -1})
    with pytest.raises(ValueError, match=rf"^intervals_goal\.{name}:"):
        IntervalsGoal(**{name: 1.5})


def test_disabled_goal_is_not_checked_and_is_the_default():
    Attrs(intervals_goal=IntervalsGoal(40, 0, 9000, 1))  # aggrs 0: no range checks
    assert Attrs().intervals_goal == IntervalsGoal() and not Attrs().intervals_goal.enabled
    assert Attrs(5000, 100_000, 60_000_000, 10, 1000) == Attrs()  # positional still works


# -- the adaptation step (kdamond_tune_intervals) -------------------------------------------
def _attrs(sample=5000, aggr=100_000, goal=GOAL) -> Attrs:
    return Attrs(sample_us=sample, aggr_us=aggr, intervals_goal=goal)


def test_ratio_below_goal_raises_the_sample_interval():
    # 10 bp of the possible access events, goal 40 bp: score 2500,
    # feed(1e8, 2500) = 1e8 + 1e8 * 7500 / 10000 -> adaptation 17500 bp.
    a = _attrs()
    total = 1_000_000
    new = tune_intervals(a, total * a.nr_samples * 10 // 10000, total)
    assert (new.sample_us, new.aggr_us) == (8750, 8750 * 20)
    assert new.nr_samples == a.nr_samples and new.intervals_goal == a.intervals_goal


def test_ratio_above_goal_lowers_at_most_by_half():
    # 100 bp against 40 bp: score 25000 >= 2 * goal -> feed gives the minimum input
    # (adaptation 1 bp), rescaled to 5000 bp: the interval halves.
    a = _attrs(sample=8000, aggr=160_000)
    total = 1_000_000
    new = tune_intervals(a, total * a.nr_samples * 100 // 10000, total)
    assert (new.sample_us, new.aggr_us) == (4000, 80_000)
    # slightly above the goal (50 bp, score 12500): adaptation 7500 -> 5000 + 3750
    new = tune_intervals(a, total * a.nr_samples * 50 // 10000, total)
    assert new.sample_us == 8000 * 8750 // 10000


def test_ratio_at_goal_changes_nothing():
    a = _attrs()
    total = 1_000_000
    assert tune_intervals(a, total * a.nr_samples * 40 // 10000, total) is None


def test_new_sample_is_clamped_to_min_and_max():
    goal = IntervalsGoal(40, 3, 4000, 6000)
    a = _attrs(goal=goal)
    assert tune_intervals(a, 0, 1 << 30).sample_us == 6000  # no accesses: up, to max
    assert tune_intervals(a, (1 << 30) * 20, 1 << 30).sample_us == 4000  # all: down, to min


def test_no_regions_counts_as_no_accesses():
    a = _attrs()
    assert tune_intervals(a, 0, 0).sample_us == 10_000  # score 0: feed doubles the input


# -- in the monitor loop --------------------------------------------------------------------
def test_sparse_accesses_raise_intervals_up_to_max():
    attrs = Attrs(update_us=1_000_000, intervals_goal=GOAL)
    mon, snaps = _run(BandOps(0, GIB // 1000), attrs)  # 0.1 % of the space is hot
    samples = [s.sample_us for s in snaps]
    assert samples[:3] == [5000] * 3  # the first tune is after `aggrs` windows
    assert samples[3] > 5000
    assert samples == sorted(samples) and samples[-1] == GOAL.max_sample_us
    assert all(GOAL.min_sample_us <= x <= GOAL.max_sample_us for x in samples)
    assert mon.attrs.sample_us == GOAL.max_sample_us


def test_dense_accesses_lower_intervals_down_to_min():
    attrs = Attrs(update_us=1_000_000, intervals_goal=GOAL)
    _, snaps = _run(BandOps(0, GIB // 2), attrs, duration_us=3_000_000)
    samples = [s.sample_us for s in snaps]
    assert samples[:6] == [5000, 5000, 5000, 2500, 2500, 2500]
    assert samples == sorted(samples, reverse=True) and samples[-1] == GOAL.min_sample_us


def test_snapshots_carry_the_tuned_intervals_and_windows_match_them():
    attrs = Attrs(update_us=1_000_000, intervals_goal=GOAL)
    _, snaps = _run(BandOps(0, GIB // 1000), attrs)
    assert len({(s.sample_us, s.aggr_us) for s in snaps}) > 3
    for prev, s in zip(snaps, snaps[1:], strict=False):
        assert s.start_us == prev.end_us
    for s in snaps:
        assert s.end_us - s.start_us == s.aggr_us  # each window lasts its own aggr_us
        assert s.nr_samples == 20  # tuning keeps the samples per aggregation
        assert all(n <= s.nr_samples for t in s.targets for n in t.nr_accesses)


def test_tuning_runs_every_aggrs_windows():
    goal = dataclasses.replace(GOAL, aggrs=5)
    mon, snaps = _run(BandOps(0, GIB // 1000), Attrs(update_us=1_000_000,
                                                     intervals_goal=goal), 20_000_000)
    changes = [i for i in range(1, len(snaps)) if snaps[i].sample_us != snaps[i - 1].sample_us]
    assert changes and all(i % 5 == 0 for i in changes)


def test_sim_workload_converges_to_the_goal_ratio():
    from damon_tui.ops.sim import SimOps

    goal = IntervalsGoal(40, 3, 5000, 10_000_000)
    ops = SimOps("zigzag", access_rate=1e4, seed=0)
    mon, snaps = _run(ops, Attrs(update_us=1_000_000, intervals_goal=goal), 120_000_000)
    samples = [s.sample_us for s in snaps]
    ups = sum(b > a for a, b in zip(samples, samples[1:], strict=False))
    downs = sum(b < a for a, b in zip(samples, samples[1:], strict=False))
    assert ups and downs  # it adapts in both directions around the goal
    half = snaps[len(snaps) // 2:]
    mean = sum(map(_ratio_bp, half)) / len(half)
    assert 20 <= mean <= 80, mean


def test_disabled_goal_leaves_snapshots_bit_identical():
    from damon_tui.ops.sim import SimOps

    def digest(attrs):
        mon = Monitor(SimOps("zigzag", seed=3), attrs, seed=3)
        return [(s.start_us, s.end_us, s.sample_us, s.aggr_us, s.targets)
                for s in mon.run(10_000_000)]

    base = digest(Attrs(update_us=1_000_000))
    off = digest(Attrs(update_us=1_000_000, intervals_goal=IntervalsGoal(40, 0, 1, 2)))
    assert off == base
    assert {s[2] for s in base} == {5000}
    # an enabled goal on the same input does change them (the comparison can fail)
    on = digest(Attrs(sample_us=20_000, aggr_us=400_000, update_us=1_000_000,
                      intervals_goal=IntervalsGoal(40, 3, 1000, 100_000)))
    assert {s[2] for s in on} != {20_000}


def test_ages_are_rescaled_with_the_aggregation_interval():
    attrs = Attrs(update_us=60_000_000, intervals_goal=GOAL)
    _, snaps = _run(BandOps(0, GIB // 1000), attrs, 30_000_000)
    # a cold region's age counts aggregation intervals: rescaled on each tune, its age
    # in time (age * aggr_us) keeps growing instead of jumping with the interval.
    ages_us = [max(t.ages) * s.aggr_us for s in snaps for t in s.targets]
    assert ages_us[-1] > ages_us[len(ages_us) // 2] > 0
    assert max(max(t.ages) for s in snaps for t in s.targets) < len(snaps)


def test_user_set_attrs_still_works_with_a_goal():
    mon = Monitor(BandOps(0, GIB // 1000), Attrs(update_us=1_000_000, intervals_goal=GOAL))
    mon.set_attrs(Attrs(sample_us=2000, aggr_us=40_000, update_us=1_000_000,
                        intervals_goal=GOAL))
    snaps = list(mon.run(1_000_000))
    assert snaps[0].sample_us == 2000 and snaps[3].sample_us > 2000


# -- CLI and presets ------------------------------------------------------------------------
def _attrs_args(*argv):
    from damon_tui.options.attrs import add_attrs_arguments

    p = argparse.ArgumentParser()
    add_attrs_arguments(p)
    return p.parse_args(list(argv))


def test_cli_intervals_goal_accepts_units_and_percent():
    from damon_tui.options.attrs import attrs_from_args

    a = attrs_from_args(_attrs_args("--intervals-goal", "40", "3", "1ms", "10s"))
    assert a.intervals_goal == IntervalsGoal(40, 3, 1000, 10_000_000)
    a = attrs_from_args(_attrs_args("--intervals-goal", "0.4%", "3", "1000", "1 s"))
    assert a.intervals_goal == IntervalsGoal(40, 3, 1000, 1_000_000)
    assert attrs_from_args(_attrs_args()).intervals_goal == IntervalsGoal()


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        (["40", "3", "10ms", "1s"], r"--sample \(sample_us\): must be within"),
        (["40", "3", "1s", "10ms"], r"--intervals-goal \(intervals_goal.max_sample_us\)"),
        (["4x", "3", "1ms", "1s"], r"--intervals-goal ACCESS_BP"),
        (["40", "three", "1ms", "1s"], r"--intervals-goal AGGRS"),
        (["40", "3", "1ms", "1qs"], r"--intervals-goal MAX_SAMPLE"),
        (["-1", "3", "1ms", "1s"], r"--intervals-goal \(intervals_goal.access_bp\)"),
    ],
)
def test_cli_intervals_goal_errors_name_the_option(goal, message):
    from damon_tui.options.attrs import attrs_from_args

    with pytest.raises(UserError, match=message):
        attrs_from_args(_attrs_args("--intervals-goal", *goal))


def test_cli_monitor_with_intervals_goal_runs(capsys):
    from damon_tui.cli import main

    rc = main(["monitor", "--sim", "zigzag", "--access-rate", "1e4", "--intervals-goal",
               "40", "3", "5ms", "1s", "--duration", "20s", "--every", "0"])
    out = capsys.readouterr().out
    assert rc == 0
    # fewer aggregation windows than the untuned 200 in 20 s: the intervals grew
    windows = [ln for ln in out.splitlines() if ln and not ln.startswith("#")]
    assert 0 < len(windows) < 150


def test_preset_autotune_enables_the_kernel_goal():
    from damon_tui.options.schemes import add_scheme_arguments, config_from_args

    p = argparse.ArgumentParser()
    add_scheme_arguments(p)
    for preset in ("reclaim", "lru_sort"):
        args = p.parse_args(["--preset", preset, "--param", "autotune_monitoring_intervals=Y",
                             "--param", "sample_interval=20ms", "--param",
                             "aggr_interval=1s"])
        _, attrs = config_from_args(args, Attrs())
        assert attrs.intervals_goal == IntervalsGoal(40, 3, 5000, 10_000_000)
        assert (attrs.sample_us, attrs.aggr_us) == (5000, 100_000)  # overridden
        args = p.parse_args(["--preset", preset])
        _, attrs = config_from_args(args, Attrs(intervals_goal=GOAL))
        assert not attrs.intervals_goal.enabled  # the module's own attrs: no goal


def test_preset_autotune_really_tunes():
    from damon_tui.options.schemes import add_scheme_arguments, config_from_args

    p = argparse.ArgumentParser()
    add_scheme_arguments(p)
    args = p.parse_args(["--preset", "reclaim", "--param", "autotune_monitoring_intervals=Y"])
    _, attrs = config_from_args(args, Attrs(update_us=1_000_000))
    _, snaps = _run(BandOps(0, GIB // 1000), attrs, 60_000_000)
    assert snaps[0].sample_us == 5000 and snaps[-1].sample_us > 100_000


def test_monitor_from_args_keeps_the_preset_goal():
    from damon_tui.commands import monitor as monitor_cmd
    from damon_tui.ops.sim import SimOps
    from damon_tui.options.monitor import monitor_from_args

    p = argparse.ArgumentParser()
    monitor_cmd.add_arguments(p)
    args = p.parse_args(["--sim", "zigzag", "--preset", "reclaim", "--param",
                         "autotune_monitoring_intervals=Y"])
    mon, _ = monitor_from_args(args, SimOps("zigzag"), None, 1_000_000)
    assert mon.attrs.intervals_goal == IntervalsGoal(40, 3, 5000, 10_000_000)


# -- records keep per-frame intervals --------------------------------------------------------
def test_record_round_trip_keeps_tuned_intervals_per_frame(tmp_path):
    from damon_tui.record import open_record, write_record
    from damon_tui.record.ours import RecordWriter, frame_intervals, make_header

    attrs = Attrs(update_us=1_000_000, intervals_goal=GOAL)
    _, snaps = _run(BandOps(0, GIB // 1000), attrs, 20_000_000)
    want = [(s.sample_us, s.aggr_us) for s in snaps]
    assert len(set(want)) > 2
    path = tmp_path / "tuned.dtr"
    header = make_header(ops="fake", targets=[{"target_id": 0, "description": "band"}],
                         attrs={"sample_us": 5000, "aggr_us": 100_000, "update_us": 1_000_000})
    with RecordWriter(path, header) as w:
        for s in snaps:
            w.write_snapshot(s)
    rec = open_record(str(path))
    got = [(iv.sample_us, iv.aggr_us) for iv in
           (frame_intervals(rec, k) for k in range(rec.nr_snapshots))]
    assert got == want
    # convert (damon-tui -> damon-tui) keeps them too
    out = tmp_path / "copy.dtr"
    write_record(str(out), rec)
    rec2 = open_record(str(out))
    assert [(frame_intervals(rec2, k).sample_us, frame_intervals(rec2, k).aggr_us)
            for k in range(rec2.nr_snapshots)] == want
    assert rec2.targets[0].regions(5) == rec.targets[0].regions(5)


def test_record_with_constant_intervals_has_no_changes_key(tmp_path):
    from damon_tui.record import open_record
    from damon_tui.record.ours import INTERVAL_CHANGES, RecordWriter, make_header

    _, snaps = _run(BandOps(0, GIB // 1000), Attrs(update_us=1_000_000), 1_000_000)
    path = tmp_path / "plain.dtr"
    header = make_header(ops="fake", targets=[{"target_id": 0, "description": "band"}],
                         attrs={"sample_us": 5000, "aggr_us": 100_000})
    with RecordWriter(path, header) as w:
        for s in snaps:
            w.write_snapshot(s)
    assert INTERVAL_CHANGES not in open_record(str(path)).header
