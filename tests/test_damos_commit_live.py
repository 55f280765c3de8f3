"""Committing schemes to a running monitor (``damon_commit_ctx`` through ``damon_call``).

The engine knows schemes only as a ``SchemeHook``; ``damos.runtime.commit`` updates the
running runner in place, in the monitoring loop, even while watermarks keep every
scheme inactive (the kernel serves ``kdamond_call`` in ``kdamond_wait_activation``).
"""

import subprocess
import sys

from test_damos_apply import FakeOps

from damon_tui.damos.runtime import DamosRunner, commit, runner_for
from damon_tui.damos.scheme import AccessPattern, Quota, Scheme, Watermarks
from damon_tui.engine import Attrs, Monitor

ATTRS = Attrs()  # 5 ms / 100 ms: 20 samples per aggregation


def stat_scheme(**kw) -> Scheme:
    return Scheme(AccessPattern(), "stat", **kw)


def test_engine_imports_nothing_from_damos():
    code = ("import sys, damon_tui.engine; "
            "print(sorted(m for m in sys.modules if m.startswith('damon_tui.damos')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_runner_is_a_scheme_hook_the_monitor_calls():
    ops = FakeOps()
    runner = runner_for([stat_scheme()], ops, ATTRS.sample_us, ATTRS.aggr_us)
    mon = Monitor(ops, ATTRS, damos=runner)
    snaps = list(mon.run(1_000_000))
    assert mon.schemes == (stat_scheme(),)
    assert snaps[-1].schemes[0].nr_snapshots == 10
    assert runner_for([], ops, 5000, 100_000) is None


def test_commit_keeps_stats_and_quota_state_and_the_same_runner():
    ops = FakeOps()
    old = Scheme(AccessPattern(), "pageout", quota=Quota(ms=0, sz=64 << 12,
                                                         reset_interval_ms=1000))
    mon = Monitor(ops, ATTRS, damos=runner_for([old], ops, 5000, 100_000))
    gen = mon.run()
    for _ in range(5):
        snap = next(gen)
    runner = mon.damos
    before = snap.schemes[0]
    q = runner.states[0].quota
    charged, esz, total_ns = q.charged_sz, q.esz, q.total_charged_ns
    assert before.nr_tried > 0 and charged > 0
    new = Scheme(AccessPattern(), "pageout", quota=Quota(ms=0, sz=32 << 12,
                                                         reset_interval_ms=1000))
    commit(mon, [new])  # served now: the consumer holds the suspended loop
    assert mon.damos is runner and mon.schemes == (new,)
    st = runner.states[0]
    assert st.quota.quota.sz == 32 << 12
    assert (st.quota.charged_sz, st.quota.esz, st.quota.total_charged_ns) == (
        charged, esz, total_ns)
    assert runner.stats()[0][:4] == tuple(before)[:4]
    after = next(gen)
    # the charge window goes on: 64 pages already charged exceed the new 32-page quota,
    # so nothing more is tried in this window (a fresh runner would start again)
    assert after.schemes[0].nr_tried == before.nr_tried
    gen.close()


def test_commit_keeps_apply_and_aggregation_boundaries_aligned():
    ops = FakeOps()
    mon = Monitor(ops, ATTRS, damos=runner_for([stat_scheme()], ops, 5000, 100_000))
    runner = mon.damos
    original_apply = runner.apply
    seen = []

    def apply(region_lists, passed, *rest):
        if passed == 50:  # mid-window (boundaries at 20, 40, 60): commit from elsewhere
            commit(mon, [stat_scheme(), stat_scheme(apply_interval_us=0)])
        if passed in (51, 60, 61):
            seen.append((passed, [st.next_apply for st in runner.states]))
        return original_apply(region_lists, passed, *rest)

    runner.apply = apply
    snaps = list(mon.run(1_000_000))
    assert mon.damos is runner and len(mon.schemes) == 2
    # served after sample 50; kept scheme keeps its schedule, the new one waits for
    # the next aggregation boundary instead of acting on a partial window
    assert seen[0] == (51, [60, 60])
    assert seen[1] == (60, [60, 60]) and seen[2] == (61, [80, 80])
    kept, added = snaps[-1].schemes
    assert kept.nr_snapshots == 10 and added.nr_snapshots == 8


def test_commit_is_served_while_watermarks_keep_every_scheme_inactive():
    ops = FakeOps(free=900)  # above high: every scheme inactive, monitoring waits
    wm = Watermarks("free_mem_rate", 1_000_000, 500, 400, 200)
    mon = Monitor(ops, ATTRS, damos=runner_for([stat_scheme(watermarks=wm)], ops,
                                               5000, 100_000))
    served = []

    def on_idle_commit(m):
        served.append(m.now_us)

    done = {"n": 0}
    original_wait = mon.damos.wait_us

    def wait_us(now_us=None):
        done["n"] += 1
        if done["n"] == 3:  # while idle, another thread commits
            commit(mon, [stat_scheme(watermarks=Watermarks())])
            mon.call(on_idle_commit)
        return original_wait(now_us)

    mon.damos.wait_us = wait_us
    snaps = list(mon.run(5_000_000))
    assert served, "the call was not served during the watermarks wait"
    assert served[0] <= 3_000_000
    # the committed scheme has no watermarks: monitoring resumed and aggregated
    assert mon.schemes == (stat_scheme(watermarks=Watermarks()),)
    assert snaps and snaps[-1].schemes[0].nr_snapshots >= 10


def test_commit_validates_before_touching_the_running_schemes():
    import pytest

    from damon_tui.errors import UserError

    ops = FakeOps()
    runner = DamosRunner([stat_scheme()], ops, 5000, 100_000)
    mon = Monitor(ops, ATTRS, damos=runner)
    list(mon.run(300_000))
    with pytest.raises(UserError, match="action"):
        commit(mon, [Scheme(AccessPattern(), "hugepage")])
    assert mon.damos is runner and mon.schemes == (stat_scheme(),)


def test_time_and_percent_bounds_are_converted_once_not_at_each_retune():
    from damon_tui.damos.scheme import Accesses, Age

    ops = FakeOps()
    pattern = AccessPattern(min_nr_accesses=Accesses(50, "percent"),
                            min_age=Age(2_000_000, "usec"))
    runner = runner_for([Scheme(pattern, "stat")], ops, 5000, 100_000)
    raw = runner.states[0].pattern
    assert (raw.min_nr_accesses, raw.min_age) == (10, 20)  # 50 % of 20 samples; 2 s / 100 ms
    # the intervals auto-tuner doubles the intervals: the kernel keeps the raw values
    runner.set_attrs(10_000, 200_000, 40)
    assert runner.states[0].pattern == raw
    # a commit converts the new input with the intervals in force
    mon = Monitor(ops, Attrs(sample_us=10_000, aggr_us=200_000), damos=runner)
    commit(mon, [Scheme(pattern, "stat")])
    assert (runner.states[0].pattern.min_nr_accesses, runner.states[0].pattern.min_age) == (
        10, 10)
