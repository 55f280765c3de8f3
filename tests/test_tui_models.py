"""The TUI's pure models (no Textual): space, binning, heatmap rows, WSS, region table."""

from __future__ import annotations

from array import array
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from damon_tui.report.wss import percentiles, snapshot_wss
from damon_tui.tui.models import (
    WSS_PERCENTILES,
    Feed,
    HeatmapModel,
    Space,
    ViewWindow,
    WssModel,
    bin_target,
    level_of,
    region_at,
    region_rows,
    wss_bars,
)

NR_SAMPLES = 20


def target(regions):
    starts, ends, nrs, ages = zip(*regions, strict=True) if regions else ((), (), (), ())
    return SimpleNamespace(starts=array("Q", starts), ends=array("Q", ends),
                           nr_accesses=array("I", nrs), ages=array("I", ages))


def snap(regions, t=0, aggr=100_000, sample=5000):
    return SimpleNamespace(start_us=t, end_us=t + aggr, sample_us=sample, aggr_us=aggr,
                           targets=[target(regions)], schemes=())


# two 100-byte ranges with a gap between them
TWO = [(1000, 1050, 20, 3), (1050, 1100, 0, 7), (5000, 5100, 10, 1)]


def test_space_skips_gaps_between_runs_of_regions():
    sp = Space.of(target(TWO))
    assert sp.ranges == ((1000, 1100), (5000, 5100))
    assert sp.total == 200
    assert sp.addr_to_offset(1050) == 50
    assert sp.addr_to_offset(5000) == 100
    assert sp.addr_to_offset(3000) == 100  # in the gap: the next range's start
    assert sp.offset_to_addr(150) == 5050
    assert sp.range_bounds(1) == (100, 200)
    assert sp.range_bounds(None) == (0, 200)


def test_bin_target_is_the_byte_weighted_mean_of_nr_accesses():
    sp = Space.of(target(TWO))
    v = bin_target(target(TWO), sp, 4, NR_SAMPLES)
    # bins of 50 bytes: [1000,1050) all 20/20; [1050,1100) 0; then 10/20 twice
    assert list(v) == pytest.approx([1.0, 0.0, 0.5, 0.5])
    v2 = bin_target(target(TWO), sp, 3, NR_SAMPLES)  # bins of 66.7 bytes straddle
    assert v2[0] == pytest.approx((50 * 20 + 16.666 * 0) / 66.666 / 20, rel=1e-3)
    assert v2[1] == pytest.approx((33.333 * 0 + 33.333 * 10) / 66.666 / 20, rel=1e-3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5000), st.integers(0, NR_SAMPLES)), min_size=1,
                max_size=40), st.integers(1, 64))
def test_binning_preserves_total_heat(sizes, nbins):
    regions, addr = [], 4096
    for size, nr in sizes:
        regions.append((addr, addr + size, nr, 0))
        addr += size
    t = target(regions)
    sp = Space.of(t)
    v = bin_target(t, sp, nbins, NR_SAMPLES)
    heat = sum(v) * sp.total / nbins
    want = sum((e - s) * nr for s, e, nr, _ in regions) / NR_SAMPLES
    assert heat == pytest.approx(want, rel=1e-3, abs=1e-3)
    assert all(0.0 <= x <= 1.0 for x in v)


def test_heatmap_rows_average_snapshots_per_row_and_stay_bounded():
    m = HeatmapModel(fine_bins=4, max_rows=3, snapshots_per_row=2)
    hot = [(0, 100, 20, 0)]
    cold = [(0, 100, 0, 0)]
    assert not m.add(snap(hot, 0))
    assert m.add(snap(cold, 100_000))
    assert len(m.rows) == 1 and list(m.rows[0].values) == pytest.approx([0.5] * 4)
    assert m.rows[0].start_us == 0 and m.rows[0].end_us == 200_000
    for i in range(20):
        m.add(snap(hot, (i + 2) * 100_000))
    assert len(m.rows) == 3  # bounded history


def test_view_columns_resample_rows_and_follow_the_hottest_range():
    m = HeatmapModel(fine_bins=8)
    m.add(snap(TWO))
    assert m.hottest_range() == 0  # range 0: 50 bytes at 100 %; range 1: 100 at 50 %
    sp = m.space
    w = ViewWindow(sp, *sp.range_bounds(1), width=2)
    assert m.row_cells(m.rows[0], w) == pytest.approx([0.5, 0.5])
    w_all = ViewWindow(sp, 0, sp.total, width=4)
    assert m.row_cells(m.rows[0], w_all) == pytest.approx([1.0, 0.0, 0.5, 0.5])
    hot_right = [(1000, 1100, 0, 0), (5000, 5100, 20, 0)]
    for i in range(5):
        m.add(snap(hot_right, i * 100_000))
    assert m.hottest_range() == 1


def test_rows_of_an_older_space_are_mapped_by_address():
    m = HeatmapModel(fine_bins=4)
    m.add(snap([(0, 100, 20, 0)]))
    m.add(snap([(0, 100, 0, 0), (100, 200, 20, 0)]))  # the range grew: a new space
    old, new = m.rows
    assert old.space != new.space
    w = ViewWindow(new.space, 0, 200, width=2)
    assert m.row_cells(new, w) == pytest.approx([0.0, 1.0])
    cells = m.row_cells(old, w)
    assert cells[0] == pytest.approx(1.0)
    assert cells[1] is None  # the old row has no data beyond its space


def test_level_is_damos_digit_on_a_fixed_scale():
    assert level_of(None) is None
    assert [level_of(x) for x in (0.0, 0.05, 0.1, 0.55, 0.99, 1.0)] == [0, 0, 1, 5, 9, 9]


def test_region_at_finds_the_region_under_an_address():
    t = target(TWO)
    assert region_at(t, 1060) == (1050, 1100, 0, 7)
    assert region_at(t, 3000) is None
    assert region_at(t, 10) is None


def test_wss_follows_damos_thresholds_and_percentile_pick():
    t = target(TWO)
    assert snapshot_wss(t) == 150
    assert snapshot_wss(t, acc_thres=15) == 50
    assert snapshot_wss(t, sz_thres=60) == 100
    assert percentiles([5, 1, 4, 2, 3], WSS_PERCENTILES) == [(0, 1), (25, 2), (50, 3),
                                                             (75, 4), (100, 5)]
    assert percentiles([], WSS_PERCENTILES) == []


def test_wss_model_excludes_the_first_samples_like_damo():
    m = WssModel(exclude_samples=2, max_samples=3)
    for i, nr in enumerate([20, 20, 20, 0, 20, 20]):
        m.add(snap([(0, 100 * (i + 1), nr, 0)], i * 100_000))
    assert m.current == 600
    assert list(m.values) == [0, 500, 600]  # bounded to 3, first 2 dropped
    assert m.average() == pytest.approx(1100 / 3)
    assert m.series(2) == [0.0, 550.0]
    assert wss_bars([(0, 50), (100, 100)], 10) == [(0, 50, 5), (100, 100, 10)]


def test_region_table_sorts():
    t = target(TWO)
    assert [r[0] for r in region_rows(t, "hottest")] == [1000, 5000, 1050]
    assert [r[0] for r in region_rows(t, "coldest")] == [1050, 5000, 1000]
    assert [r[0] for r in region_rows(t, "size")] == [5000, 1000, 1050]
    assert [r[0] for r in region_rows(t, "age")] == [1050, 1000, 5000]
    assert [r[0] for r in region_rows(t, "address", limit=2)] == [1000, 1050]
    with pytest.raises(ValueError, match="unknown sort"):
        region_rows(t, "bogus")


def test_feed_keeps_models_per_target_and_counts():
    f = Feed(fine_bins=4, max_rows=10)
    s = snap(TWO)
    s.targets.append(target([(0, 10, 1, 0)]))
    f.add(s)
    f.add(s)
    assert len(f.heatmaps) == 2 and len(f.wss) == 2
    assert f.count == 2 and f.nr_regions == 4
    f.add(None)
    assert f.ended


def test_heatmap_time_labels_stay_distinct_past_a_minute():
    from damon_tui.units import format_time_compact as _compact_time

    labels = [_compact_time(us) for us in range(60_000_000, 62_000_000, 500_000)]
    assert labels == ["60.0s", "60.5s", "61.0s", "61.5s"]
    assert all(len(_compact_time(us)) <= 6 for us in (999_900_000, 5_999_000_000, 10**11))
    assert _compact_time(1_000_000_000) == "16m40s"
