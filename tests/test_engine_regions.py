"""RegionList operations keep regions sorted, disjoint and covering the same bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from damon_tui.engine import RegionList


@st.composite
def region_lists(draw, max_regions=30):
    n = draw(st.integers(1, max_regions))
    pos = draw(st.integers(0, 1000))
    regions = []
    for _ in range(n):
        pos += draw(st.sampled_from([0, 0, 0, 1, 50]))  # mostly adjacent
        size = draw(st.integers(1, 500))
        nr = draw(st.integers(0, 20))
        last = draw(st.integers(0, 20))
        age = draw(st.integers(0, 100))
        regions.append((pos, pos + size, nr, last, age))
        pos += size
    return regions


def _union(ranges):
    out = []
    for s, e in sorted(ranges):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _check_sorted_disjoint(rl):
    rs = rl.ranges()
    for (s1, e1), (s2, _e2) in zip(rs, rs[1:], strict=False):
        assert s1 < e1 <= s2


def _ref_merge(regions, thres, sz_limit):
    """Straight transcription of §1.3 (one pass, age update) as the reference."""
    out = []
    for s, e, nr, last, age in regions:
        if abs(nr - last) > thres or (nr == 0) != (last == 0):
            age = 0
        else:
            age += 1
        if out:
            ps, pe, pnr, plast, page = out[-1]
            if pe == s and abs(pnr - nr) <= thres and (pe - ps) + (e - s) <= sz_limit:
                szp, szr = pe - ps, e - s
                out[-1] = (ps, e, (pnr * szp + nr * szr) // (szp + szr), plast,
                           (page * szp + age * szr) // (szp + szr))
                continue
        out.append((s, e, nr, last, age))
    return out


@settings(max_examples=120, deadline=None)
@given(region_lists(), st.integers(0, 10), st.integers(1, 3000))
def test_merge_matches_reference(regions, thres, sz_limit):
    rl = RegionList(regions)
    rl.merge_regions(thres, sz_limit)
    assert [rl.get(i) for i in range(len(rl))] == _ref_merge(regions, thres, sz_limit)
    _check_sorted_disjoint(rl)


@settings(max_examples=100, deadline=None)
@given(region_lists(), st.integers(2, 3), st.integers(1, 64), st.integers(0, 2**32))
def test_split_keeps_coverage_and_counts(regions, nr_subs, min_sz, seed):
    rl = RegionList(regions)
    rl.split_regions(nr_subs, min_sz, seed)
    _check_sorted_disjoint(rl)
    assert _union(rl.ranges()) == _union([(s, e) for s, e, *_ in regions])
    assert len(regions) <= len(rl) <= nr_subs * len(regions)
    # every piece carries its original region's counts
    for i in range(len(rl)):
        s, e, nr, last, age = rl.get(i)
        orig = next(r for r in regions if r[0] <= s and e <= r[1])
        assert (nr, last, age) == orig[2:]


@settings(max_examples=100, deadline=None)
@given(region_lists(), st.integers(1, 400))
def test_apply_min_nr_regions_bounds_sizes(regions, max_sz):
    rl = RegionList(regions)
    rl.apply_min_nr_regions(max_sz)
    _check_sorted_disjoint(rl)
    assert all(e - s <= max_sz for s, e in rl.ranges())
    assert _union(rl.ranges()) == _union([(s, e) for s, e, *_ in regions])


@st.composite
def range_lists(draw):
    n = draw(st.integers(1, 5))
    pos = draw(st.integers(0, 500))
    out = []
    for _ in range(n):
        pos += draw(st.integers(1, 300))
        size = draw(st.integers(1, 800))
        out.append((pos, pos + size))
        pos += size
    return out


@settings(max_examples=120, deadline=None)
@given(region_lists(), range_lists())
def test_set_regions_covers_exactly_the_ranges(regions, ranges):
    rl = RegionList(regions)
    rl.set_regions(ranges, 1)
    _check_sorted_disjoint(rl)
    assert _union(rl.ranges()) == _union(ranges)


def test_split_at_and_merge_two_round_trip():
    rl = RegionList([(0, 100, 4, 2, 7), (100, 200, 0, 0, 1)])
    rl.split_at(0, 30)
    assert len(rl) == 3
    rl.merge_two(0)
    assert [rl.get(i) for i in range(2)] == [(0, 100, 4, 2, 7), (100, 200, 0, 0, 1)]
    rl.set_age(1, 9)
    assert rl.get(1)[4] == 9


@pytest.mark.parametrize("bad", [[(10, 10, 0, 0)], [(0, 10, 0, 0), (5, 20, 0, 0)], [(1, 2, 3)]])
def test_constructor_rejects_bad_regions(bad):
    with pytest.raises(ValueError, match="region"):
        RegionList(bad)


def test_index_errors():
    rl = RegionList([(0, 10, 0, 0)])
    with pytest.raises(IndexError):
        rl.get(1)
    with pytest.raises(IndexError):
        rl.merge_two(0)
    with pytest.raises(ValueError):
        rl.split_at(0, 10)
