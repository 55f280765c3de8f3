"""KUnit vectors of mm/damon/tests/vaddr-kunit.h (damon-reference §7), min_region_sz = 1."""

from __future__ import annotations

import pytest

from damon_tui.engine import RegionList
from damon_tui.ops.vaddr import three_regions


def test_three_regions_in_vmas():
    vmas = [(10, 20), (20, 25), (200, 210), (210, 220), (300, 305), (307, 330)]
    assert three_regions(vmas, 1) == [(10, 25), (200, 220), (300, 330)]


def test_three_regions_needs_two_gaps():
    with pytest.raises(ValueError):
        three_regions([(10, 20), (20, 30)], 1)


def _from_points(*groups):
    return RegionList([(s, e, 0, 0) for pts in groups for s, e in zip(pts, pts[1:], strict=False)])


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ([(5, 27), (45, 55), (73, 104)], [(5, 20, 27), (45, 55), (73, 80, 90, 104)]),
        ([(5, 27), (56, 57), (65, 104)], [(5, 20, 27), (56, 57), (65, 80, 90, 104)]),
        ([(5, 27), (61, 63), (65, 104)], [(5, 20, 27), (61, 63), (65, 80, 90, 104)]),
        ([(5, 7), (30, 32), (65, 68)], [(5, 7), (30, 32), (65, 68)]),
    ],
)
def test_apply_three_regions(new, expected):
    rl = _from_points((10, 20, 30), (50, 55, 57, 59), (70, 80, 90, 100))
    rl.set_regions(new, 1)
    assert rl.ranges() == _from_points(*expected).ranges()
