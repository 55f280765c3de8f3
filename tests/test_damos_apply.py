"""apply_schemes on region lists (§3.2): matching, stats, age reset, quotas, resume."""

from array import array

import pytest

from damon_tui.damos.runtime import DamosRunner, mvsum
from damon_tui.damos.scheme import (
    Accesses,
    AccessPattern,
    Age,
    Filter,
    Quota,
    Scheme,
    Watermarks,
    Weights,
)
from damon_tui.engine import RegionList
from damon_tui.errors import UserError
from damon_tui.ops.base import Ops, TargetInfo

K = 4096


class FakeOps(Ops):
    """Applies nothing for real; records calls; free memory is settable."""

    kind = "sim"
    clock = "virtual"

    def __init__(self, free=1000, applied=None, ntargets=1):
        self.free = free
        self.calls = []
        self.applied = applied  # None: apply the whole range
        self.ntargets = ntargets

    def targets(self):
        return [TargetInfo(i, f"fake{i}") for i in range(self.ntargets)]

    def target_ranges(self, target_idx):
        return [(0, 100 * K)]

    def prepare_access_checks(self, target_idx, addrs: array, now_us):
        pass

    def check_accesses(self, target_idx, addrs, out, now_us):
        pass

    def free_mem_rate(self):
        return self.free

    def supported_actions(self):
        return frozenset({"pageout", "cold", "lru_prio", "lru_deprio", "willneed"})

    def apply_action(self, target_idx, action, start, end):
        self.calls.append((target_idx, action, start, end))
        return end - start if self.applied is None else self.applied


def cold_pattern(min_age=5):
    return AccessPattern(K, 2**64 - 1, Accesses(0), Accesses(0), Age(min_age), Age(2**32 - 1))


def runner(schemes, ops=None, clock=None):
    ops = ops or FakeOps()
    kw = {"clock_ns": clock} if clock else {}
    return DamosRunner(schemes, ops, 5000, 100_000, K, **kw), ops


def test_mvsum_kunit_vectors():
    # (passed, next_aggr, nr, last) -> result with sample 1, aggr 10
    for args, want in (((0, 10, 5, 3), 3), ((0, 10, 0, 7), 7), ((5, 10, 3, 10), 8),
                       ((8, 10, 3, 10), 5), ((10, 10, 42, 49), 42)):
        p, na, nr, last = args
        assert mvsum(nr, last, p, na, 10) == want


def test_matching_regions_get_the_action_and_stats_count_them():
    r, ops = runner([Scheme(cold_pattern(), "pageout")])
    rl = RegionList([(0, 4 * K, 0, 0, 10), (4 * K, 8 * K, 3, 0, 10), (8 * K, 12 * K, 0, 0, 2)])
    stats = r.apply([rl], 20, 20, 2_000_000)
    assert ops.calls == [(0, "pageout", 0, 4 * K)]
    s = stats[0]
    assert (s.nr_tried, s.sz_tried, s.nr_applied, s.sz_applied) == (1, 4 * K, 1, 4 * K)
    assert rl.get(0)[4] == 0  # age reset after a non-stat action
    assert rl.get(1)[4] == 10 and rl.get(2)[4] == 2


def test_age_resets_even_when_nothing_was_applied_but_not_for_stat():
    r, ops = runner([Scheme(cold_pattern(), "pageout")], FakeOps(applied=0))
    rl = RegionList([(0, 4 * K, 0, 0, 10)])
    s = r.apply([rl], 20, 20, 0)[0]
    assert (s.nr_tried, s.nr_applied, s.sz_applied) == (1, 0, 0)
    assert rl.get(0)[4] == 0
    r2, ops2 = runner([Scheme(cold_pattern(), "stat")])
    rl2 = RegionList([(0, 4 * K, 0, 0, 10)])
    s2 = r2.apply([rl2], 20, 20, 0)[0]
    assert s2.nr_tried == 1 and rl2.get(0)[4] == 10 and ops2.calls == []


def test_schemes_run_only_at_their_apply_interval():
    scheme = Scheme(cold_pattern(), "stat", apply_interval_us=1_000_000)  # 200 samples
    r, _ = runner([scheme])
    rl = RegionList([(0, 4 * K, 0, 0, 10)])
    assert r.apply([rl], 20, 20, 0)[0].nr_tried == 0
    assert r.apply([rl], 200, 200, 0)[0].nr_tried == 1
    assert r.apply([rl], 220, 220, 0)[0].nr_tried == 1
    assert r.apply([rl], 400, 400, 0)[0].nr_tried == 2


def test_mid_window_matching_uses_the_moving_sum():
    # half way through a window: acc = nr + last/2; last 10 -> 5 + 0 = 5: not idle
    r, _ = runner([Scheme(cold_pattern(0), "stat", apply_interval_us=50_000)])
    rl = RegionList([(0, 4 * K, 0, 10, 3)])
    assert r.apply([rl], 10, 20, 0)[0].nr_tried == 0
    rl2 = RegionList([(0, 4 * K, 0, 0, 3)])
    r2, _ = runner([Scheme(cold_pattern(0), "stat", apply_interval_us=50_000)])
    assert r2.apply([rl2], 10, 20, 0)[0].nr_tried == 1


def test_size_quota_splits_the_last_region_and_resumes_after_it_next_window():
    q = Quota(sz=6 * K, reset_interval_ms=1000)
    r, ops = runner([Scheme(cold_pattern(), "pageout", quota=q)])
    rl = RegionList([(0, 4 * K, 0, 0, 10), (4 * K, 8 * K, 0, 0, 10), (8 * K, 12 * K, 0, 0, 10)])
    s = r.apply([rl], 20, 20, 0)[0]
    assert ops.calls == [(0, "pageout", 0, 4 * K), (0, "pageout", 4 * K, 6 * K)]
    assert s.sz_tried == 6 * K
    assert rl.ranges() == [(0, 4 * K), (4 * K, 6 * K), (6 * K, 8 * K), (8 * K, 12 * K)]
    # the quota is full: nothing more in this window
    for i in range(len(rl)):
        rl.set_age(i, 10)
    ops.calls.clear()
    s = r.apply([rl], 40, 40, 500_000)[0]
    assert ops.calls == [] and s.qt_exceeds == 0
    # new window: resumes after the last charged region (6K), wraps at the end
    s = r.apply([rl], 60, 60, 1_000_000)[0]
    assert s.qt_exceeds == 1
    assert ops.calls[0] == (0, "pageout", 6 * K, 8 * K)
    assert ops.calls[1] == (0, "pageout", 8 * K, 12 * K)


def test_quota_prioritises_the_coldest_regions():
    w = Weights(0, 0, 1)
    q = Quota(sz=4 * K, reset_interval_ms=1000, weights=w)
    r, ops = runner([Scheme(cold_pattern(1), "pageout", quota=q)])
    # ages 20, 2000 (coldest), 200
    rl = RegionList([(0, 4 * K, 0, 0, 20), (4 * K, 8 * K, 0, 0, 2000),
                     (8 * K, 12 * K, 0, 0, 200)])
    r.apply([rl], 20, 20, 0)
    assert ops.calls == [(0, "pageout", 4 * K, 8 * K)]


def test_core_filter_rejects_leave_stats_and_age_untouched():
    f = Filter("addr", matching=True, allow=False, addr_start=0, addr_end=4 * K)
    r, ops = runner([Scheme(cold_pattern(), "pageout", filters=(f,))])
    rl = RegionList([(0, 4 * K, 0, 0, 10), (4 * K, 8 * K, 0, 0, 10)])
    s = r.apply([rl], 20, 20, 0)[0]
    assert ops.calls == [(0, "pageout", 4 * K, 8 * K)]
    assert s.nr_tried == 1
    assert rl.get(0)[4] == 10


def test_target_filter_limits_the_scheme_to_one_target():
    f = Filter("target", matching=True, allow=True, target_idx=1)
    ops = FakeOps(ntargets=2)
    r, _ = runner([Scheme(cold_pattern(), "pageout", filters=(f,))], ops)
    rls = [RegionList([(0, 4 * K, 0, 0, 10)]), RegionList([(0, 4 * K, 0, 0, 10)])]
    r.apply(rls, 20, 20, 0)
    assert ops.calls == [(1, "pageout", 0, 4 * K)]


def test_nr_snapshots_counts_passes_over_the_last_region():
    r, _ = runner([Scheme(AccessPattern(), "stat")])
    rl = RegionList([(0, 4 * K, 1, 0, 0), (4 * K, 8 * K, 1, 0, 0)])
    for p in (20, 40, 60):
        s = r.apply([rl], p, p, 0)[0]
    assert s.nr_snapshots == 3 and s.nr_tried == 6


def test_merge_back_joins_identical_neighbours_after_the_pass():
    r, _ = runner([Scheme(cold_pattern(), "pageout")])
    rl = RegionList([(0, 4 * K, 0, 0, 10), (4 * K, 8 * K, 0, 0, 10)])
    r.apply([rl], 20, 20, 0, max_region_sz=1 << 30)
    assert rl.ranges() == [(0, 8 * K)]


def test_unsupported_action_is_refused_with_the_ops_reason():
    with pytest.raises(UserError, match="scheme 0: action: the sim operations set cannot"):
        runner([Scheme(action="migrate_hot", target_nid=1)])


def test_ops_filters_are_refused_clearly():
    with pytest.raises(UserError, match="cannot evaluate 'anon' filters"):
        runner([Scheme(action="pageout", filters=(Filter("anon"),))])


def test_unmeasurable_goal_metric_is_refused():
    from damon_tui.damos.scheme import QuotaGoal
    with pytest.raises(UserError, match="quotas.goals.metric"):
        runner([Scheme(action="pageout",
                       quota=Quota(goals=(QuotaGoal("some_mem_psi_us", 1000),)))])


def test_free_memory_goal_shrinks_the_quota_once_free_memory_is_reached():
    from damon_tui.damos.scheme import QuotaGoal
    ops = FakeOps(free=100)
    goal = QuotaGoal("node_mem_free_bp", 2000)
    r, _ = runner([Scheme(cold_pattern(), "pageout",
                          quota=Quota(reset_interval_ms=100, goals=(goal,)))], ops)
    rl = RegionList([(0, 4 * K, 0, 0, 10)])
    sizes = []
    for i in range(1, 30):
        r.apply([rl], 20 * i, 20 * i, 100_000 * i)
        sizes.append(r.states[0].quota.esz)
    assert sizes[-1] > sizes[0]  # under the goal (10% < 20% free): grows
    ops.free = 900  # far over the goal: back to the minimum
    for i in range(30, 33):
        r.apply([rl], 20 * i, 20 * i, 100_000 * i)
    assert r.states[0].quota.esz == 1


def test_user_input_goal_reads_the_fed_value():
    from damon_tui.damos.scheme import QuotaGoal
    r, _ = runner([Scheme(cold_pattern(), "pageout",
                          quota=Quota(reset_interval_ms=100,
                                      goals=(QuotaGoal("user_input", 10000, 0),)))])
    rl = RegionList([(0, 4 * K, 0, 0, 10)])
    r.apply([rl], 20, 20, 0)
    assert r.states[0].quota.last_goal_score == 0
    r.set_goal_current(0, 0, 5000)
    r.apply([rl], 40, 40, 200_000)
    assert r.states[0].quota.last_goal_score == 5000


def test_time_quota_charges_the_measured_time():
    ticks = iter(range(0, 10**9, 1_000_000))  # every clock read advances 1 ms
    r, ops = runner([Scheme(cold_pattern(), "pageout", quota=Quota(ms=10))],
                    clock=lambda: next(ticks))
    rl = RegionList([(0, 4 * K, 0, 0, 10)])
    r.apply([rl], 20, 20, 0)
    assert r.states[0].quota.total_charged_ns == 1_000_000


def test_inactive_schemes_are_skipped():
    wm = Watermarks("free_mem_rate", 1_000_000, 500, 400, 200)
    ops = FakeOps(free=900)
    r, _ = runner([Scheme(cold_pattern(), "pageout", watermarks=wm)], ops)
    assert r.wait_us() == 1_000_000
    rl = RegionList([(0, 4 * K, 0, 0, 10)])
    s = r.apply([rl], 20, 20, 0)[0]
    assert s.nr_tried == 0 and not s.active
