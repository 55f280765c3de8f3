"""Watermarks: the activation rule with hysteresis, and monitoring pausing (§4)."""

from damon_tui.damos.scheme import Scheme, Watermarks
from damon_tui.damos.watermarks import WatermarksState, wmark_wait_us

WM = Watermarks("free_mem_rate", 5_000_000, 500, 400, 200)


def test_activation_rule_with_hysteresis():
    assert wmark_wait_us(WM, True, 600) == (False, 5_000_000)  # above high
    assert wmark_wait_us(WM, True, 100) == (False, 5_000_000)  # below low
    assert wmark_wait_us(WM, False, 450) == (False, 5_000_000)  # inactive in [mid, high]
    assert wmark_wait_us(WM, True, 450) == (True, 0)  # active in [mid, high] stays
    assert wmark_wait_us(WM, False, 300) == (True, 0)  # low <= metric < mid
    assert wmark_wait_us(WM, False, 400) == (False, 5_000_000)  # mid itself: not yet
    assert wmark_wait_us(Watermarks(), False, 999) == (True, 0)


def test_minimum_wait_over_schemes_and_no_schemes_never_wait():
    free = [600]
    st = WatermarksState([WM, Watermarks("free_mem_rate", 1_000_000, 900, 800, 0)],
                         lambda: free[0])
    assert st.wait_us() == 0  # the second scheme is active (600 < 800)
    free[0] = 950  # both deactivate: the shorter interval wins
    assert st.wait_us() == 1_000_000
    free[0] = 850  # inactive in [mid, high] of the second: stays inactive
    assert st.wait_us() == 1_000_000
    free[0] = 700  # below the second's mid: active again, monitoring resumes
    assert st.wait_us() == 0 and st.active == [False, True]
    assert WatermarksState([], lambda: 0).wait_us() == 0


def test_monitoring_pauses_while_every_scheme_is_inactive():
    from damon_tui.damos.runtime import runner_for
    from damon_tui.engine import Attrs, Monitor
    from damon_tui.ops.sim import SimOps

    ops = SimOps("zigzag", mem_total=10 << 30)  # lots of free memory: above high
    scheme = Scheme(action="stat", watermarks=Watermarks("free_mem_rate", 1_000_000, 500,
                                                         400, 200))
    m = Monitor(ops, Attrs(), damos=runner_for([scheme], ops, 5000, 100_000))
    snaps = list(m.run(duration_us=3_000_000))
    assert snaps == []  # no aggregation happened: nothing was sampled
    assert m.passed == 0
    assert m.now_us >= 3_000_000
    assert m.damos.wmarks.idle_us >= 3_000_000


def test_monitoring_runs_when_schemes_are_active():
    from damon_tui.damos.runtime import runner_for
    from damon_tui.engine import Attrs, Monitor
    from damon_tui.ops.sim import SimOps

    ops = SimOps("zigzag")  # 333 permil free once resident: inside 500/400/200
    scheme = Scheme(action="stat", watermarks=Watermarks("free_mem_rate", 1_000_000, 1000,
                                                         999, 0))
    m = Monitor(ops, Attrs(), damos=runner_for([scheme], ops, 5000, 100_000))
    snaps = list(m.run(duration_us=1_000_000))
    assert len(snaps) == 10
    assert snaps[-1].schemes[0].nr_snapshots == 10
