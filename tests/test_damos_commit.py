"""Online commit of schemes (``damon_commit_ctx`` / ``damos_commit*``, spec §7 KUnit).

``DamosRunner.commit`` replaces pattern, action, apply interval, quotas (config),
goals, watermarks, filters and target_nid, and keeps the statistics and the quota's
charge state of the schemes at the same position.
"""

import pytest
from test_damos_apply import FakeOps, cold_pattern

from damon_tui.damos.runtime import DamosRunner
from damon_tui.damos.scheme import (
    Accesses,
    AccessPattern,
    Age,
    Filter,
    Quota,
    QuotaGoal,
    Scheme,
    Watermarks,
    Weights,
)
from damon_tui.engine import RegionList
from damon_tui.errors import UserError

K = 4096


class MigrateOps(FakeOps):
    def supported_actions(self):
        return super().supported_actions() | {"migrate_hot", "migrate_cold"}


def regions():
    return RegionList([(0, 4 * K, 0, 0, 10), (4 * K, 8 * K, 0, 0, 10), (8 * K, 12 * K, 5, 5, 3)])


def test_commit_filter_copies_type_matching_allow_and_range():
    """KUnit commit_filter: the new filters decide from the next pass on."""
    ops = FakeOps()
    old_f = Filter("addr", matching=True, allow=False, addr_start=0, addr_end=4 * K)
    r = DamosRunner([Scheme(cold_pattern(), "pageout", filters=(old_f,))], ops, 5000,
                    100_000, K)
    r.apply([regions()], 20, 20, 0)
    assert [c[2:] for c in ops.calls] == [(4 * K, 8 * K)]
    new_f = Filter("addr", matching=False, allow=True, addr_start=4 * K, addr_end=8 * K)
    r.commit([Scheme(cold_pattern(), "pageout", filters=(new_f,))])
    st = r.states[0]
    assert st.scheme.filters == (new_f,)
    assert st.core_filters == (new_f,)
    # allow filter last in the core layer: unmatched memory is rejected by default
    assert st.core_reject is True
    ops.calls.clear()
    r.apply([regions()], 40, 40, 0)
    # matching=False: regions *outside* [4K, 8K) match and are allowed
    assert [c[2:] for c in ops.calls] == [(0, 4 * K)]
    r.commit([Scheme(cold_pattern(), "pageout")])  # 1 -> 0 filters
    assert r.states[0].core_filters == () and r.states[0].core_reject is False


def test_commit_pageout_replaces_pattern_action_interval_watermarks_and_keeps_stats():
    """KUnit commit_pageout plus what the kernel keeps: stats and quota charge state."""
    ops = FakeOps(free=300)
    old = Scheme(cold_pattern(), "pageout", quota=Quota(sz=6 * K, reset_interval_ms=1000))
    r = DamosRunner([old], ops, 5000, 100_000, K)
    before = r.apply([regions()], 20, 20, 0)[0]
    q = r.states[0].quota
    assert (before.nr_tried, before.sz_tried) == (2, 6 * K)
    charged, charged_from, resume = q.charged_sz, q.charged_from, q.charge_target_from
    wm = Watermarks("free_mem_rate", 1_000_000, 600, 500, 100)
    new = Scheme(AccessPattern(K, 1 << 30, Accesses(5), Accesses(20), Age(2), Age(100)),
                 "cold", apply_interval_us=400_000,
                 quota=Quota(sz=12 * K, reset_interval_ms=2000, weights=Weights(0, 1, 0)),
                 watermarks=wm)
    r.commit([new])
    st = r.states[0]
    assert st.scheme == new
    assert st.pattern.min_nr_accesses == 5 and st.pattern.min_age == 2
    assert st.apply_samples == 80  # 400 ms / 5 ms
    assert r.wmarks.watermarks == [wm]
    assert st.quota.quota == new.quota
    # runtime state survives the commit
    assert tuple(r.stats()[0])[:7] == tuple(before)[:7]
    assert (st.quota.charged_sz, st.quota.charged_from, st.quota.charge_target_from) == (
        charged, charged_from, resume)
    # the new watermarks are evaluated: free 300 permil with 600/500/100 -> active
    assert r.wait_us() == 0
    ops.free = 700  # above high
    assert r.wait_us() == 1_000_000 and r.stats()[0].active is False


def test_commit_migrate_hot_copies_target_nid():
    """KUnit commit_migrate_hot: pattern, action and target_nid are copied."""
    ops = MigrateOps()
    hot = AccessPattern(min_nr_accesses=Accesses(10))
    r = DamosRunner([Scheme(hot, "migrate_hot", target_nid=1)], ops, 5000, 100_000, K)
    r.commit([Scheme(hot, "migrate_hot", target_nid=3)])
    assert r.states[0].scheme.target_nid == 3
    assert r.states[0].kind == "hot"  # migrate_hot is prioritised by the hot score
    with pytest.raises(UserError, match="scheme 0: target_nid"):
        r.commit([Scheme(hot, "migrate_hot")])
    assert r.states[0].scheme.target_nid == 3  # refused: the running scheme is unchanged


@pytest.mark.parametrize("n_old, n_new", [(3, 3), (2, 3), (0, 3), (3, 2), (3, 0)])
def test_commit_changes_the_number_of_schemes_and_keeps_the_common_ones(n_old, n_new):
    """The schemes counterpart of KUnit commit_dests (3->3, 2->3, 0->3, 3->2, 3->0): the
    project has no migration destination arrays (the sim has one node)."""
    ops = FakeOps()
    olds = [Scheme(cold_pattern(), "stat", origin=f"old{i}") for i in range(n_old)]
    r = DamosRunner(olds, ops, 5000, 100_000, K)
    r.apply([regions()], 20, 20, 0)
    kept = r.stats()
    news = [Scheme(cold_pattern(), "pageout", origin=f"new{i}") for i in range(n_new)]
    r.commit(news)
    assert [s.origin for s in r.schemes] == [f"new{i}" for i in range(n_new)]
    assert len(r.states) == len(r.wmarks.watermarks) == len(r.wmarks.active) == n_new
    stats = r.stats()
    for i in range(n_new):
        if i < n_old:
            assert stats[i].nr_tried == kept[i].nr_tried == 2
        else:
            assert stats[i].nr_tried == 0
    r.apply([regions()], 40, 40, 0)  # runs with the new set
    assert len(ops.calls) == (2 if n_new else 0)


@pytest.mark.parametrize("old_goals, new_goals", [
    ((), (QuotaGoal("user_input", 10000, 4000),)),                    # 0 -> 1
    ((QuotaGoal("user_input", 10000, 4000),),
     (QuotaGoal("user_input", 5000, 4000),)),                          # 1 -> 1, target
    ((QuotaGoal("user_input", 10000, 4000),), ()),                     # 1 -> 0
])
def test_commit_quota_goals(old_goals, new_goals):
    """KUnit commit_quota_goals: goals are replaced; esz_bp (tuning state) is kept."""
    ops = FakeOps()
    r = DamosRunner([Scheme(cold_pattern(), "pageout",
                            quota=Quota(ms=10, reset_interval_ms=100, goals=old_goals))],
                    ops, 5000, 100_000, K)
    r.apply([regions()], 20, 20, 0)
    esz_bp = r.states[0].quota.esz_bp
    r.commit([Scheme(cold_pattern(), "pageout",
                     quota=Quota(ms=10, reset_interval_ms=100, goals=new_goals))])
    st = r.states[0]
    assert st.scheme.quota.goals == new_goals
    assert st.quota.quota.active_goals == new_goals
    assert st.quota.esz_bp == esz_bp
    # user_input's current value comes from the committed goal
    assert st.goal_currents == [g.current_value for g in new_goals]
    r.apply([regions()], 40, 40, 200_000)  # a new window: the goals are evaluated
    if new_goals:
        g = new_goals[0]
        assert st.quota.last_goal_score == g.current_value * 10000 // g.target_value


def test_commit_user_input_current_value_is_copied():
    """KUnit commit_quota_goal: current_value is copied for user_input."""
    ops = FakeOps()
    mk = lambda cur: Scheme(cold_pattern(), "pageout", quota=Quota(  # noqa: E731
        reset_interval_ms=100, goals=(QuotaGoal("user_input", 10000, cur),)))
    r = DamosRunner([mk(1000)], ops, 5000, 100_000, K)
    r.set_goal_current(0, 0, 2000)
    r.commit([mk(7000)])
    assert r.states[0].goal_currents == [7000]


def test_invalid_commit_leaves_the_running_schemes_intact():
    ops = FakeOps()
    old = Scheme(cold_pattern(), "pageout")
    r = DamosRunner([old], ops, 5000, 100_000, K)
    states = r.states
    bad = Scheme(cold_pattern(), "pageout",
                 watermarks=Watermarks("free_mem_rate", -1, 300, 200, 100))
    with pytest.raises(UserError, match="scheme 0: watermarks.interval_us: must not be neg"):
        r.commit([bad])
    assert r.schemes == (old,) and r.states is states


@pytest.mark.parametrize("sz, ok", [(4096, True), (1, True), (4095, False), (0, True)])
def test_min_region_sz_must_be_a_power_of_two(sz, ok):
    """KUnit commit_ctx: min_region_sz 4096 -> 0, 4095 -> EINVAL (0: the ops' own)."""
    if ok:
        r = DamosRunner([Scheme(cold_pattern(), "pageout")], FakeOps(), 5000, 100_000, sz)
        assert r.min_sz == (sz or FakeOps.min_region_sz)
    else:
        with pytest.raises(UserError, match="min_region_sz: 4095 is not a power of two"):
            DamosRunner([Scheme(cold_pattern(), "pageout")], FakeOps(), 5000, 100_000, sz)
