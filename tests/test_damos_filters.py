"""Core DAMOS filters: the KUnit filter_out and filters_default_reject vectors."""

import pytest

from damon_tui.damos.filters import core_filter_out, default_reject, filter_match
from damon_tui.damos.scheme import Filter
from damon_tui.engine import RegionList

ADDR = Filter("addr", matching=True, allow=False, addr_start=2, addr_end=6)


@pytest.mark.parametrize("region, expected, after", [
    ((3, 5), True, [(3, 5)]),
    ((1, 2), False, [(1, 2)]),
    ((6, 8), False, [(6, 8)]),
    ((1, 4), False, [(1, 2), (2, 4)]),
    ((2, 8), True, [(2, 6), (6, 8)]),
])
def test_addr_filter_match_splits_straddling_regions(region, expected, after):
    rl = RegionList([(region[0], region[1], 0, 0)])
    assert filter_match(ADDR, rl, 0, 0, 1) is expected
    assert rl.ranges() == after


def test_addr_filter_aligns_its_range_down():
    f = Filter("addr", addr_start=4096 + 100, addr_end=3 * 4096 + 5)
    rl = RegionList([(0, 4 * 4096, 0, 0)])
    assert filter_match(f, rl, 0, 0, 4096) is False
    assert rl.ranges() == [(0, 4096), (4096, 4 * 4096)]
    assert filter_match(f, rl, 1, 0, 4096) is True
    assert rl.ranges() == [(0, 4096), (4096, 3 * 4096), (3 * 4096, 4 * 4096)]


def test_target_filter_matches_the_target_index():
    f = Filter("target", target_idx=1)
    rl = RegionList([(0, 10, 0, 0)])
    assert filter_match(f, rl, 0, 1, 1) is True
    assert filter_match(f, rl, 0, 0, 1) is False
    assert filter_match(Filter("target", matching=False, target_idx=1), rl, 0, 0, 1) is True


def test_filters_default_reject_kunit_vector():
    assert default_reject([]) == (False, False)
    target_allow = Filter("target", allow=True, target_idx=0)
    assert default_reject([target_allow]) == (True, False)
    target_reject = Filter("target", allow=False, target_idx=0)
    assert default_reject([target_reject]) == (False, False)
    anon_allow = Filter("anon", allow=True)
    assert default_reject([target_reject, anon_allow]) == (False, True)
    assert default_reject([target_allow, anon_allow]) == (False, True)


def test_first_matching_filter_decides_and_default_applies_otherwise():
    rl = RegionList([(0, 10, 0, 0)])
    allow0 = Filter("target", allow=True, target_idx=0)
    reject_all = Filter("addr", allow=False, addr_start=0, addr_end=100)
    assert core_filter_out([allow0, reject_all], True, rl, 0, 0, 1) is False
    assert core_filter_out([reject_all, allow0], False, rl, 0, 0, 1) is True
    # target 1 matches nothing but an allow filter is last: rejected by default
    assert core_filter_out([allow0], True, rl, 0, 1, 1) is True
