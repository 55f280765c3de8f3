"""Quota windows, the effective quota and goal tuning (§3.4, §3.6), commit_quota*."""

from damon_tui.damos.quota import DEFAULT_THROUGHPUT, QuotaState
from damon_tui.damos.scheme import Quota, QuotaGoal, Weights
from damon_tui.units import ULONG_MAX


def test_size_only_quota_is_the_effective_quota():
    q = QuotaState(Quota(sz=1 << 20))
    q.set_effective_quota(None)
    assert q.esz == 1 << 20


def test_time_quota_uses_the_default_throughput_before_any_charge():
    q = QuotaState(Quota(ms=10))
    q.set_effective_quota(None)
    assert q.esz == DEFAULT_THROUGHPUT * 10


def test_time_quota_uses_measured_throughput_and_size_caps_it():
    q = QuotaState(Quota(ms=10, sz=1 << 30))
    q.total_charged_sz = 8 << 20
    q.total_charged_ns = 2_000_000  # 8 MiB in 2 ms -> 4 MiB per ms
    q.set_effective_quota(None)
    assert q.esz == (4 << 20) * 10
    q.total_charged_ns = 2  # absurdly fast: size quota caps
    q.set_effective_quota(None)
    assert q.esz == 1 << 30


def test_time_quota_never_goes_below_min_region_size():
    q = QuotaState(Quota(ms=1), min_region_sz=4096)
    q.total_charged_sz = 1
    q.total_charged_ns = 10**12
    q.set_effective_quota(None)
    assert q.esz == 4096


def test_consist_goal_quota_starts_tiny_and_at_most_doubles_per_window():
    q = QuotaState(Quota(goals=(QuotaGoal("user_input", 10000, 0),)))
    sizes = []
    for _ in range(5):
        q.set_effective_quota(0)
        sizes.append(q.esz)
    assert sizes[0] in (1, 2)
    assert all(b <= 2 * a for a, b in zip(sizes, sizes[1:], strict=False))
    assert sizes[-1] > sizes[0]


def test_consist_goal_quota_shrinks_when_over_achieving():
    q = QuotaState(Quota(goals=(QuotaGoal("user_input", 10000, 0),)))
    q.esz_bp = 10**9
    q.set_effective_quota(15000)
    assert q.esz_bp < 10**9


def test_temporal_tuner_is_all_or_nothing():
    q = QuotaState(Quota(sz=1 << 20, goal_tuner="temporal", goals=(QuotaGoal("user_input", 1),)))
    q.set_effective_quota(5000)
    assert q.esz == 1 << 20
    q.set_effective_quota(10000)
    assert q.esz == 0
    q2 = QuotaState(Quota(goal_tuner="temporal", goals=(QuotaGoal("user_input", 1),)))
    q2.set_effective_quota(0)
    assert q2.esz == ULONG_MAX // 10000


def test_full_quota_rule_era_c():
    q = QuotaState(Quota(sz=3 * 4096), min_region_sz=4096)
    q.set_effective_quota(None)
    assert not q.full()
    q.charged_sz = 2 * 4096 + 1  # less than one min region left
    assert q.full()
    unset = QuotaState(Quota())
    unset.charged_sz = 10**9
    assert not unset.full()


def test_new_window_is_due_outside_the_reset_interval():
    q = QuotaState(Quota(sz=1, reset_interval_ms=1000))
    q.charged_from = 5_000_000
    assert not q.new_window_due(5_000_000)
    assert not q.new_window_due(5_999_999)
    assert q.new_window_due(6_000_000)
    assert q.new_window_due(4_000_000)  # clock went back


def test_fail_charge_ratio_charges_failures_partially():
    q = QuotaState(Quota(sz=1 << 30, fail_charge_num=1, fail_charge_denom=4))
    q.charge(4096 * 4, 4096, 10)
    assert q.charged_sz == 4096 + 3 * 4096 // 4
    assert q.total_charged_ns == 10


def test_goals_with_target_zero_are_ignored():
    quota = Quota(goals=(QuotaGoal("user_input", 0, 5),))
    assert quota.active_goals == ()
    assert not quota.is_set


def test_commit_quota_copies_every_parameter():
    from test_damos_apply import FakeOps

    from damon_tui.damos.runtime import DamosRunner
    from damon_tui.damos.scheme import Scheme

    ops = FakeOps()
    old = Scheme(action="pageout", quota=Quota(10, 1 << 20, 1000, Weights(1, 2, 3)))
    new_quota = Quota(20, 1 << 21, 2000, Weights(4, 5, 6),
                      (QuotaGoal("user_input", 10000, 7),), "temporal", 1, 2)
    r = DamosRunner([old], ops, 5000, 100_000)
    r.states[0].quota.total_charged_sz = 12345
    r.commit([Scheme(action="pageout", quota=new_quota)])
    st = r.states[0]
    assert st.quota.quota == new_quota
    assert st.quota.total_charged_sz == 12345  # runtime state kept
    assert st.scheme.quota.weights == Weights(4, 5, 6)
