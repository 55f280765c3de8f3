"""The time quota (quota_ms) in virtual time: the sim models what each action costs and
DAMOS charges that modelled time, so quota_ms bounds the work per reset interval."""

from test_damos_apply import FakeOps, cold_pattern

from damon_tui.damos import parse_one_line
from damon_tui.damos.quota import DEFAULT_THROUGHPUT
from damon_tui.damos.runtime import DamosRunner, runner_for
from damon_tui.damos.scheme import AccessPattern, Quota, Scheme
from damon_tui.engine import Attrs, Monitor, RegionList
from damon_tui.ops.sim import PAGE_SIZE, ActionCosts, SimOps

K = 4096


class CostlyOps(FakeOps):
    """Every byte costs ``ns_per_byte`` of modelled time (20 us per 4 KiB page)."""

    def __init__(self, ns_per_byte=5, **kw):
        super().__init__(**kw)
        self.ns_per_byte = ns_per_byte
        self.last_apply_cost_ns = 0

    def apply_action(self, target_idx, action, start, end):
        self.last_apply_cost_ns = (end - start) * self.ns_per_byte
        return super().apply_action(target_idx, action, start, end)


def test_modelled_cost_is_charged_instead_of_wall_time():
    ops = CostlyOps()
    r = DamosRunner([Scheme(cold_pattern(0), "pageout", quota=Quota(ms=10))], ops,
                    5000, 100_000, K, clock_ns=lambda: 0)
    r.apply([RegionList([(0, 16 * K, 0, 0, 10)])], 20, 20, 0)
    assert r.states[0].quota.total_charged_ns == 16 * K * 5


def test_quota_ms_bounds_bytes_and_time_per_reset_interval_exactly():
    """After the first window (4 MiB/ms assumed), esz = measured throughput x ms."""
    ops = CostlyOps(ns_per_byte=5)  # 200 000 bytes per ms
    r = DamosRunner([Scheme(AccessPattern(), "pageout", quota=Quota(ms=1))], ops,
                    5000, 100_000, K)
    rl = RegionList([(i * 64 * K, (i + 1) * 64 * K, 0, 0, 0) for i in range(2000)])
    per_window: dict[int, tuple[int, int]] = {}
    for p in range(1, 51):  # 50 aggregations of 100 ms = 5 windows of 1 s
        before_ns = r.states[0].quota.total_charged_ns
        before_sz = r.stats()[0].sz_tried
        r.apply([rl], 20 * p, 20 * p, 100_000 * p)
        w = r.states[0].quota.charged_from
        ns, sz = per_window.get(w, (0, 0))
        per_window[w] = (ns + r.states[0].quota.total_charged_ns - before_ns,
                         sz + r.stats()[0].sz_tried - before_sz)
    windows = [per_window[w] for w in sorted(per_window)]
    assert windows[0][1] == DEFAULT_THROUGHPUT * 1 // K * K  # the first window's guess
    for ns, sz in windows[1:]:
        assert sz <= 200_000 and ns <= 1_000_000  # quota_ms = 1 ms of modelled work
        assert sz >= 200_000 - K  # and the quota is used up, not starved
    assert r.stats()[0].qt_exceeds == len(windows) - 1


def test_sim_models_action_costs_from_the_pages_changed():
    ops = SimOps("stairs", action_costs=ActionCosts(call_us=1, scan_ns=100, pageout_us=20))
    ops.advance(3_000_000)
    start, end = ops.mappings[0]
    resident = ops.memory_state(start, end)["resident"]
    assert resident > 0
    mapped = (end - start) // PAGE_SIZE
    applied = ops.apply_action(0, "pageout", start, end)
    assert applied == resident * PAGE_SIZE
    assert ops.last_apply_cost_ns == 1000 + 100 * mapped + 20_000 * resident
    # nothing left to page out: only the call and the scan cost
    ops.apply_action(0, "pageout", start, end)
    assert ops.last_apply_cost_ns == 1000 + 100 * mapped
    ops.apply_action(0, "stat", start, end)
    assert ops.last_apply_cost_ns == 0
    assert ops.stats().apply_cost_us == (2000 + 200 * mapped + 20_000 * resident) / 1000


def _charged_per_window(line: str, seconds: int):
    ops = SimOps("stairs")
    m = Monitor(ops, Attrs(), damos=runner_for([parse_one_line(line)], ops, 5000, 100_000))
    per_window: dict[int, list[int]] = {}
    prev_ns = prev_sz = 0
    for snap in m.run(duration_us=seconds * 1_000_000):
        q = m.damos.states[0].quota
        s = snap.schemes[0]
        # no quota: no charge window; use seconds of monitoring
        window = q.charged_from if q.quota.is_set else snap.end_us // 1_000_000
        acc = per_window.setdefault(window, [0, 0])
        acc[0] += q.total_charged_ns - prev_ns
        acc[1] += s.sz_applied - prev_sz
        prev_ns, prev_sz = q.total_charged_ns, s.sz_applied
    return [tuple(per_window[w]) for w in sorted(per_window) if w is not None], ops, m


def test_quota_ms_bounds_pageout_per_reset_interval_in_the_sim():
    quota = "4K max 0 0 1s max pageout 10ms 0 1s 0 0 1 none 0 0 0 0"
    windows, ops, m = _charged_per_window(quota, 40)
    busy = [w for w in windows if w[0]]
    first, rest = busy[0], busy[1:]
    # the first window uses the kernel's 4 MiB/ms guess: it overshoots
    assert first[0] > 100_000_000
    # afterwards the windows average at most 10 ms of modelled work; one window can
    # overshoot because the byte quota comes from the throughput measured so far, and
    # tries on already paged-out memory are cheap (as in the kernel)
    assert sum(ns for ns, _ in rest) / len(rest) <= 10_000_000
    assert max(ns for ns, _ in rest) <= 25_000_000
    # ... which at 20 us per page is a few MiB of pages per second
    assert max(sz for _, sz in rest) <= 25_000_000 // 20_000 * PAGE_SIZE
    assert sum(1 for ns, _ in rest if 9_000_000 <= ns) >= 3  # the quota binds
    assert m.damos.stats()[0].qt_exceeds >= 3
    # without the quota, the same scheme pages out much more per second
    free, _, _ = _charged_per_window("4K max 0 0 1s max pageout", 40)
    assert max(ns for ns, _ in free) > 10 * 15_000_000
