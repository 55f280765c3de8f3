"""The TUI's pure models (no Textual): space, binning, heatmap rows, WSS, region table."""

from __future__ import annotations

from array import array
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from damon_tui.report.wss import percentiles, snapshot_wss
from damon_tui.tui.models import (
    MIN_RANGE_BINS,
    WSS_PERCENTILES,
    Feed,
    HeatmapModel,
    Space,
    ViewWindow,
    WssModel,
    bin_target,
    fit_row_us,
    heat_step,
    level_of,
    nice_scale,
    region_at,
    region_rows,
    time_tick,
    wss_bars,
)
from damon_tui.units import format_rate, format_time_us

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


def test_space_gives_every_range_its_own_fine_bins():
    sp = Space.of(target(TWO))
    assert sp.ranges == ((1000, 1100), (5000, 5100)) and sp.total == 200
    first, counts = sp.layout(8)
    assert list(first) == [0, 4] and list(counts) == [4, 4]
    assert sp.addr_to_bin(1050, 8) == 2.0 and sp.addr_to_bin(5025, 8) == 5.0
    assert sp.addr_to_bin(3000, 8) is None  # in the gap
    assert sp.bin_to_addr(5, 8) == 5025 and sp.range_bins(1, 8) == (4, 8)
    # a 4 KiB range next to 1 GiB still gets MIN_RANGE_BINS bins of its own
    big = Space(((0, 1 << 30), (2 << 30, (2 << 30) + 4096)))
    first, counts = big.layout(1024)
    assert counts[1] == MIN_RANGE_BINS and sum(counts) == 1024


def test_bin_target_is_the_byte_weighted_mean_of_nr_accesses():
    sp = Space.of(target(TWO))
    v = bin_target(target(TWO), sp, 4, NR_SAMPLES)
    # range 1 in bins of 50 bytes: all 20/20, then 0; range 2: 10/20 twice
    assert list(v) == pytest.approx([1.0, 0.0, 0.5, 0.5])
    v2 = bin_target(target(TWO), sp, 6, NR_SAMPLES)  # bins of 33.3 bytes straddle
    assert v2[1] == pytest.approx((16.666 * 20 + 16.666 * 0) / 33.333 / 20, rel=1e-3)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5000), st.integers(0, NR_SAMPLES),
                          st.booleans()), min_size=1, max_size=40), st.integers(1, 64))
def test_binning_preserves_each_ranges_heat(sizes, nbins):
    regions, addr = [], 4096
    for size, nr, gap in sizes:
        addr += 8192 if gap else 0
        regions.append((addr, addr + size, nr, 0))
        addr += size
    t = target(regions)
    sp = Space.of(t)
    v = bin_target(t, sp, max(nbins, len(sp.ranges)), NR_SAMPLES)
    first, counts = sp.layout(len(v))
    for r, (s, e) in enumerate(sp.ranges):
        heat = sum(v[first[r]:first[r] + counts[r]]) * (e - s) / counts[r]
        want = sum((re - rs) * nr for rs, re, nr, _ in regions if s <= rs < e) / NR_SAMPLES
        assert heat == pytest.approx(want, rel=1e-3, abs=1e-3)
    assert all(0.0 <= x <= 1.0 for x in v)


def test_rows_are_uniform_time_slots_and_stay_bounded():
    m = HeatmapModel(fine_bins=4, max_rows=3, snapshots_per_row=2)
    hot = [(0, 100, 20, 0)]
    cold = [(0, 100, 0, 0)]
    assert m.add(snap(hot, 0))  # opens slot 0 of 200 ms
    assert not m.add(snap(cold, 100_000))
    assert len(m.rows) == 1 and list(m.rows[0].values) == pytest.approx([0.5] * 4)
    assert m.rows[0].start_us == 0 and m.rows[0].end_us == 200_000 and m.rows[0].count == 2
    for i in range(20):
        m.add(snap(hot, (i + 2) * 100_000))
    assert len(m.rows) == 3  # bounded history
    assert [r.slot for r in m.rows] == [8, 9, 10]


def test_changing_row_time_rebuilds_rows_from_the_kept_snapshots():
    m = HeatmapModel(fine_bins=4, max_rows=100, max_snapshots=8)
    for i in range(10):  # hot, cold, hot, cold ... of 100 ms each
        m.add(snap([(0, 100, 20 if i % 2 == 0 else 0, 0)], i * 100_000))
    assert len(m.rows) == 10
    m.set_snapshots_per_row(2)  # rows of 200 ms from the 8 kept snapshots (2..9)
    assert m.row_us == 200_000
    assert [r.slot for r in m.rows] == [1, 2, 3, 4]
    assert all(r.count == 2 and list(r.values) == pytest.approx([0.5] * 4) for r in m.rows)
    m.set_snapshots_per_row(5)  # 500 ms: slot 0 holds snapshots 2..4, slot 1 holds 5..9
    assert [(r.slot, r.count) for r in m.rows] == [(0, 3), (1, 5)]
    assert list(m.rows[1].values) == pytest.approx([0.4] * 4)
    m.add(snap([(0, 100, 20, 0)], 1_000_000))  # goes on in the new time slots
    assert [(r.slot, r.count) for r in m.rows][-1] == (2, 1)


def test_all_ranges_fit_with_a_separator_per_gap():
    m = HeatmapModel(fine_bins=8)
    m.add(snap(TWO))
    sp = m.space
    assert m.shown_range(width=7) is None  # 2 x 3 columns + 1 separator fit
    w = ViewWindow(sp, 0, 8, 7, 8)
    assert w.columns[3] == (-1, 1) and w.separators == frozenset({3})
    assert w.gaps() == [(3, 5000 - 1100)]
    assert [seg[1:] for seg in w.segments()] == [(0, 3), (4, 7)]
    assert w.column_addrs(3) is None and w.column_addrs(4)[0] == 5000
    cells = m.row_cells(m.rows[0], w)
    assert cells[3] is None
    assert cells[:3] == pytest.approx([1.0, 1.0, 0.0])  # bins 0, 1 and 2-3 of range 0
    assert cells[4:] == pytest.approx([0.5] * 3)


def test_hottest_range_is_picked_once_and_never_jumps_by_itself():
    m = HeatmapModel(fine_bins=8)
    m.add(snap(TWO))
    assert m.hottest_range() == 0  # range 0: 50 of 100 bytes at 100 %; range 1: 50 %
    assert m.shown_range(width=6) == 0  # too narrow for both
    hot_right = [(1000, 1100, 0, 0), (5000, 5100, 20, 0)]
    for i in range(5):
        m.add(snap(hot_right, (i + 1) * 100_000))
    assert m.hottest_range() == 1
    assert m.shown_range(width=6) == 0  # the view stays where it was
    grown = [(1000, 1200, 0, 0), (5000, 5100, 20, 0)]  # range 0 grows: followed by address
    m.add(snap(grown, 700_000))
    assert m.space.ranges[0] == (1000, 1200) and m.shown_range(width=6) == 0


def test_rows_of_an_older_space_are_mapped_by_address():
    m = HeatmapModel(fine_bins=4)
    m.add(snap([(0, 100, 20, 0)]))
    m.add(snap([(0, 100, 0, 0), (100, 200, 20, 0)], 100_000))  # the range grew: a new space
    old, new = m.rows
    assert old.space != new.space
    w = ViewWindow(new.space, 0, 4, 2, 4)
    assert m.row_cells(new, w) == pytest.approx([0.0, 1.0])
    cells = m.row_cells(old, w)
    assert cells[0] == pytest.approx(1.0)
    assert cells[1] is None  # the old row has no data beyond its space


def test_replay_row_time_fits_the_whole_record_on_the_screen():
    assert fit_row_us(30_000_000, 100_000, 106) == 300_000  # 100 rows of 300 ms
    assert fit_row_us(5_000_000, 100_000, 106) == 100_000  # short: one interval per row
    assert fit_row_us(3_600_000_000, 100_000, 50) == 72_000_000


def test_heat_scale_is_relative_or_log_with_readable_tops():
    assert [nice_scale(x) for x in (2.94118, 0.7, 200, 201, 0)] == [3.0, 0.8, 200.0, 300.0, 0]
    assert heat_step(-1.0, 1.0, False, 24) == -1  # no data
    assert heat_step(0.0, 1.0, False, 24) == 0  # idle has its own colour
    assert heat_step(1.0, 1.0, False, 24) == 24 and heat_step(0.5, 1.0, False, 24) == 13
    assert heat_step(1e-6, 1.0, False, 24) == 1  # any access is not idle
    assert heat_step(0.01, 1.0, True, 24) == 9  # two decades down of three
    assert heat_step(1e-5, 1.0, True, 24) == 1


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


def test_time_labels_are_readable_and_never_repeat():
    assert time_tick(5 * 2 * 100_000) == 1_000_000
    assert time_tick(5 * 2 * 300_000) == 5_000_000
    assert time_tick(7_000_000) == 10_000_000 and time_tick(40_000_000) == 60_000_000
    assert time_tick(100 * 60_000_000) == 2 * 3600_000_000
    labels = [format_time_us(t, 1) for t in range(0, 20 * 60_000_000, 30_000_000)]
    assert len(set(labels)) == len(labels) and max(map(len, labels)) <= 9
    assert format_rate(2.94118) == "2.9 Hz" and format_rate(29.4) == "29 Hz"
    assert format_rate(0.04) == "40 mHz" and format_rate(1500) == "1.5 kHz"
    assert format_rate(0) == "0 Hz" and format_rate(200) == "200 Hz"


def _reference_runs(cells) -> list[tuple[str, int]]:
    """Group ``(char, key)`` cells into runs, as the kernels should."""
    out: list[tuple[str, int]] = []
    for ch, key in cells:
        if out and out[-1][1] == key:
            out[-1] = (out[-1][0] + ch, key)
        else:
            out.append((ch, key))
    return out


_values = st.lists(st.one_of(st.sampled_from([-1.0, 0.0, 1e-9, 0.25, 0.5, 1.0, 2.0]),
                             st.floats(-1.0, 3.0, width=32)), min_size=0, max_size=40)


@settings(max_examples=200, deadline=None)
@given(_values, _values, st.sampled_from([0.0, 0.3, 1.0]), st.booleans(),
       st.sets(st.integers(0, 45)), st.integers(-1, 45))
def test_half_block_line_kernel_matches_heat_step(upper, lower, top, log, seps, cur):
    """``half_runs`` (Cython) gives the cells ``heat_step`` defines, grouped in runs."""
    from damon_tui._fast import binning

    n = len(upper)
    lower = (lower + [-1.0] * n)[:n]
    up, lo = array("f", upper), array("f", lower)
    k = 26
    mask = bytes(1 if c in seps else 0 for c in range(n))
    cells = []
    for c in range(n):
        if c in seps:
            cells.append(("┊", k * k + 1))
            continue
        u, b = (heat_step(v[c], top, log, 24) for v in (up, lo))
        if c == cur:
            cells.append(("◆", k * k + 2 + max(u, b) + 1))
        elif u >= 0:
            cells.append(("▀", (u + 1) * k + b + 1))
        elif b >= 0:
            cells.append(("▄", (b + 1) * k))
        else:
            cells.append((" ", k * k))
    assert binning.half_runs(up, lo, top, log, 24, 3, mask, cur) == _reference_runs(cells)


@settings(max_examples=200, deadline=None)
@given(_values, st.sets(st.integers(0, 45)), st.integers(-1, 45))
def test_digit_line_kernel_matches_damos_levels(values, seps, cur):
    from damon_tui._fast import binning

    cells_in = array("f", values)
    mask = bytes(1 if c in seps else 0 for c in range(len(values)))
    cells = []
    for c, v in enumerate(cells_in):
        lvl = -1 if c in seps or v < 0 else level_of(v)
        ch = "┊" if c in seps else " " if lvl == -1 else str(lvl)
        key = 11 if c in seps else 10 if lvl == -1 else lvl
        cells.append((ch, 12 + lvl + 1 if c == cur else key))
    assert binning.digit_runs(cells_in, 10, mask, cur) == _reference_runs(cells)


def test_heatmap_lines_before_the_first_snapshot_have_no_time_label(monkeypatch):
    from damon_tui.tui.heatmap import Heatmap

    hm = Heatmap()
    monkeypatch.setattr(Heatmap, "slots_per_line", property(lambda self: 2))
    hm._row_us, hm._label_every = 100_000, 1_000_000
    assert [hm._row_label(g) for g in (-15, -10, -5)] == ["", "", ""]
    assert hm._row_label(0) == "0 s" and hm._row_label(5) == "1 s"
