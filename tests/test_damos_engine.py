"""DAMOS in the engine on the simulated workloads: the effect is measurable."""

from damon_tui.damos import parse_one_line
from damon_tui.damos.runtime import runner_for
from damon_tui.engine import Attrs, Monitor
from damon_tui.ops.sim import SimOps


def run(workload, line, seconds=25, **kw):
    ops = SimOps(workload, **kw)
    m = Monitor(ops, Attrs(), damos=runner_for([parse_one_line(line)] if line else [], ops,
                                                 5000, 100_000))
    snaps = list(m.run(duration_us=seconds * 1_000_000))
    return ops.stats(), snaps, m


def test_pageout_of_idle_regions_saves_memory_and_costs_refaults():
    base, _, _ = run("stairs", None)
    st, snaps, m = run("stairs", "4K max 0 0 2s max pageout")
    assert st.rss_bytes < base.rss_bytes // 2
    s = snaps[-1].schemes[0]
    assert s.nr_applied > 0 and s.sz_applied > 0
    assert st.bytes_paged_out == s.sz_applied
    assert base.refaults == 0


def test_size_quota_bounds_the_bytes_per_reset_interval():
    _, snaps, m = run("scan", "4K max 0 0 1s max pageout 0 8M 1000 0 0 1 none 0 0 0 0",
                      seconds=10)
    s = snaps[-1].schemes[0]
    windows = m.now_us // 1_000_000 + 1
    assert s.sz_tried <= windows * (8 << 20)
    assert s.qt_exceeds >= 1


def test_stat_scheme_changes_nothing():
    base, base_snaps, _ = run("zigzag", None, seconds=5)
    st, snaps, _ = run("zigzag", "min max min max min max stat", seconds=5)
    assert st.rss_bytes == base.rss_bytes
    assert [list(t) for t in snaps[-1].targets] == [list(t) for t in base_snaps[-1].targets]
    assert snaps[-1].schemes[0].nr_tried > 0


def test_snapshots_carry_cumulative_stats_as_plain_tuples():
    _, snaps, _ = run("zigzag", "min max min max min max stat", seconds=2)
    counts = [s.schemes[0].nr_snapshots for s in snaps]
    assert counts == sorted(counts) and counts[-1] == len(snaps)
    assert isinstance(snaps[0].schemes[0], tuple)
    assert snaps[0].schemes[0]._asdict()["nr_snapshots"] == 1
