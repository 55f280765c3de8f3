"""KUnit vectors of mm/damon/tests/core-kunit.h (damon-reference §7), min_region_sz = 1."""

from __future__ import annotations

import pytest
from damon_tui._fast.regions import Core

from damon_tui.engine import Attrs, RegionList, Rng, mvsum, nr_accesses_mvsum


class _NullOps:
    """Just enough of an ops for ``Core`` (the vectors below never sample)."""

    clock = "virtual"

    def prepare_access_checks(self, t, addrs, now_us):
        pass

    def check_accesses(self, t, addrs, out, now_us):
        pass


def _core(nr_targets=1, min_nr=10, max_nr=1000, min_sz=1, seed=0) -> Core:
    return Core(_NullOps(), nr_targets, 5000, 100_000, 60_000_000, min_nr, max_nr, min_sz, seed)


def test_regions_new_add_destroy():
    rl = RegionList([(1, 2, 0, 0)])
    assert len(rl) == 1
    assert rl.get(0) == (1, 2, 0, 0, 0)
    rl.set_regions([(1, 2)], 1)
    assert rl.tolist() == [(1, 2, 0, 0)]
    assert len(RegionList()) == 0


def test_aggregate_reset_zeroes_counts_and_keeps_regions():
    starts = [(10, 20, 30), (5, 42, 49), (13, 33, 55)]
    ends = [(15, 27, 40), (31, 45, 55), (23, 44, 66)]
    nrs = [(42, 95, 84), (10, 20, 30), (0, 1, 2)]
    core = _core(nr_targets=3)
    core.region_lists = [
        RegionList([(s, e, n, 0) for s, e, n in zip(ss, es, ns, strict=True)])
        for ss, es, ns in zip(starts, ends, nrs, strict=True)
    ]
    for rl in core.region_lists:
        rl.reset_aggregated()
    assert len(core.region_lists) == 3
    for rl, ns in zip(core.region_lists, nrs, strict=True):
        assert len(rl) == 3
        assert [r[2] for r in rl.tolist()] == [0, 0, 0]
        assert [rl.get(i)[3] for i in range(3)] == list(ns)  # last_nr_accesses


def test_split_at_copies_counts_to_both_halves():
    rl = RegionList([(0, 100, 42, 15, 10)])
    rl.split_at(0, 25)
    assert [rl.get(i) for i in range(2)] == [(0, 25, 42, 15, 10), (25, 100, 42, 15, 10)]


def test_merge_two_weights_nr_accesses_and_age_by_size():
    rl = RegionList([(0, 100, 10, 9), (100, 300, 20, 21)])
    rl.merge_two(0)
    assert rl.tolist() == [(0, 300, 16, 17)]


def test_merge_regions_of():
    starts = [0, 100, 114, 122, 130, 156, 170, 184, 230]
    ends = [100, 112, 122, 130, 156, 170, 184, 230, 10170]
    nrs = [0, 0, 10, 10, 20, 30, 1, 2, 5]
    rl = RegionList([(s, e, n, 0) for s, e, n in zip(starts, ends, nrs, strict=True)])
    rl.merge_regions(9, 9999)
    assert rl.ranges() == [(0, 112), (114, 130), (130, 156), (156, 170), (170, 230),
                           (230, 10170)]


@pytest.mark.parametrize("seed", range(20))
def test_split_regions_of_bounds(seed):
    rl = RegionList([(0, 22, 0, 0)])
    rl.split_regions(2, 1, seed)
    assert 1 <= len(rl) <= 2
    rl = RegionList([(0, 220, 0, 0)])
    rl.split_regions(4, 1, seed)
    assert 1 <= len(rl) <= 4
    rl = RegionList([(0, 220, 0, 0), (300, 400, 0, 0), (500, 700, 0, 0)])
    rl.split_regions(4, 5, seed)
    assert 3 <= len(rl) <= 12
    # pieces tile the originals exactly
    covered = rl.ranges()
    assert covered[0][0] == 0 and covered[-1][1] == 700
    assert sum(e - s for s, e in covered) == 220 + 100 + 200


def test_split_regions_pieces_are_10_to_90_percent():
    rng = Rng(7)
    for _ in range(200):
        rl = RegionList([(0, 1000, 3, 4)])
        rl.split_regions(2, 1, rng)
        if len(rl) == 2:
            cut = rl.tolist()[0][1]
            assert cut in range(100, 901, 100)
            assert [r[2:] for r in rl.tolist()] == [(3, 4), (3, 4)]


@pytest.mark.parametrize("seed", range(5))
def test_split_above_half_splits_some(seed):
    core = _core(max_nr=1500, min_nr=10, min_sz=1, seed=seed)
    core.region_lists = [RegionList(
        [(i * 100, i * 100 + 100, 100 if i % 2 == 0 else 0, 5) for i in range(760)])]
    core.split_regions()
    n = core.nr_regions
    assert 760 < n <= 1500


def test_split_regions_nothing_when_at_max():
    core = _core(max_nr=10, min_nr=3)
    core.region_lists = [RegionList([(i * 100, i * 100 + 100, 0, 0) for i in range(10)])]
    core.split_regions()
    assert core.nr_regions == 10


@pytest.mark.parametrize(
    ("before", "ranges", "after"),
    [
        ([], [(5, 15), (15, 25)], [(5, 15), (15, 25)]),
        ([(4, 16), (24, 32)], [(18, 23)], [(18, 23)]),
        ([(4, 16), (24, 32)], [(8, 28)], [(8, 16), (16, 24), (24, 28)]),
        ([(0, 4), (4, 17)], [(0, 15), (25, 40)], [(0, 4), (4, 15), (25, 40)]),
        ([(0, 4), (42, 52)], [(0, 15), (25, 40), (44, 50)], [(0, 15), (25, 40), (44, 50)]),
    ],
)
def test_set_regions(before, ranges, after):
    rl = RegionList([(s, e, 0, 0) for s, e in before])
    rl.set_regions(ranges, 1)
    assert rl.ranges() == after


def test_set_regions_keeps_counts_of_stretched_regions_and_zeroes_new():
    rl = RegionList([(4, 16, 7, 3), (24, 32, 9, 2)])
    rl.set_regions([(8, 28)], 1)
    assert rl.tolist() == [(8, 16, 7, 3), (16, 24, 0, 0), (24, 28, 9, 2)]


def test_set_regions_aligns_to_min_region_sz():
    rl = RegionList()
    rl.set_regions([(5000, 9000)], 4096)
    assert rl.ranges() == [(4096, 12288)]


@pytest.mark.parametrize("ranges", [[(10, 5)], [(0, 10), (5, 20)], [(20, 30), (0, 10)]])
def test_set_regions_rejects_bad_ranges(ranges):
    rl = RegionList([(0, 10, 0, 0)])
    with pytest.raises(ValueError, match="set_regions"):
        rl.set_regions(ranges, 1)


def test_set_attrs_validation():
    Attrs(sample_us=5000, aggr_us=100_000, min_nr_regions=10, max_nr_regions=1000)
    with pytest.raises(ValueError, match="min_nr_regions"):
        Attrs(min_nr_regions=1)
    with pytest.raises(ValueError, match="max_nr_regions"):
        Attrs(max_nr_regions=9)
    with pytest.raises(ValueError, match="aggr_us"):
        Attrs(aggr_us=4999)


@pytest.mark.parametrize(
    ("cur", "last", "left_bp", "want"),
    [(0, 49, 10000, 49), (3, 10, 7000, 10), (3, 10, 5000, 8), (32, 100, 1000, 42),
     (42, 49, 0, 42)],
)
def test_mvsum(cur, last, left_bp, want):
    assert mvsum(cur, last, left_bp) == want


@pytest.mark.parametrize(
    ("passed", "next_aggr", "nr", "last", "want"),
    [(0, 10, 5, 3, 3), (0, 10, 0, 7, 7), (5, 10, 3, 10, 8), (8, 10, 3, 10, 5),
     (10, 10, 42, 49, 42)],
)
def test_nr_accesses_mvsum(passed, next_aggr, nr, last, want):
    nr_samples = Attrs(sample_us=1, aggr_us=10).nr_samples
    assert nr_accesses_mvsum(passed, next_aggr, nr_samples, nr, last) == want


@pytest.mark.parametrize(
    ("size", "min_sz", "min_nr", "max_sz", "nr_regions"),
    [(10, 1, 10, 1, 10), (10, 1, 15, 1, 10), (10, 2, 2, 6, 2), (10, 2, 10, 2, 5)],
)
def test_apply_min_nr_regions(size, min_sz, min_nr, max_sz, nr_regions):
    core = _core(min_nr=min_nr, min_sz=min_sz)
    core.region_lists = [RegionList([(0, size, 0, 0)])]
    assert core.apply_min_nr_regions() == max_sz
    assert core.nr_regions == nr_regions
    assert core.region_lists[0].ranges()[-1][1] == size


def test_rand_range():
    rng = Rng(0)
    seen = {rng.rand(0, 10) for _ in range(2000)}
    assert seen == set(range(10))
    with pytest.raises(ValueError):
        rng.rand(5, 5)


def test_rand_is_seeded():
    a, b, c = Rng(42), Rng(42), Rng(43)
    xs = [a.rand(0, 2**63) for _ in range(10)]
    assert xs == [b.rand(0, 2**63) for _ in range(10)]
    assert xs != [c.rand(0, 2**63) for _ in range(10)]


def test_update_monitoring_result():
    old = Attrs(sample_us=10, aggr_us=1000)
    rl = RegionList([(3, 7, 15, 0, 20)])
    for new, nr, age in [((100, 10000), 15, 2), ((1, 1000), 150, 2), ((1, 100), 150, 20)]:
        a = Attrs(sample_us=new[0], aggr_us=new[1])
        rl.update_monitoring_result(old.nr_samples, a.nr_samples, old.aggr_us, a.aggr_us, False)
        _, _, got_nr, _, got_age = rl.get(0)
        assert (got_nr, got_age) == (nr, age)


def test_update_monitoring_result_while_aggregating_converts_last_and_zeroes_nr():
    rl = RegionList([(0, 10, 7, 15, 4)])
    rl.update_monitoring_result(100, 1000, 1000, 1000, True)
    assert rl.get(0) == (0, 10, 0, 150, 4)
