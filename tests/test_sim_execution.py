"""The simulated masim execution: sequential/random semantics, phases, determinism."""

from __future__ import annotations

from array import array

import pytest
from damon_tui._fast.sim import Sim

BASE = 0x7F00_0000_0000
PG = 4096


def touched(sim: Sim, region_base: int, npages: int, t0: int, t1: int) -> list[int]:
    """Pages (relative) touched in [t0, t1) according to the per-address check."""
    addrs = array("Q", [region_base + p * PG + 123 for p in range(npages)])
    out = array("B", bytes(npages))
    sim.check(addrs, out, t0, t1)
    return [p for p in range(npages) if out[p]]


def seq_sim(size: int, stride: int, batch: int, phases=None) -> Sim:
    # rate 1e6: one tick (one access) per microsecond
    phases = phases or [(1000, [(0, False, stride, 1)])]
    return Sim([BASE], [size], phases, rate=1_000_000, batch=batch)


def test_sequential_first_access_at_stride_and_offset_carried_over_batches():
    sim = seq_sim(10 * PG, PG, batch=3)
    assert touched(sim, BASE, 10, 0, 3) == [1, 2, 3]      # first access at `stride`
    assert touched(sim, BASE, 10, 3, 6) == [4, 5, 6]      # offset carried to batch 2
    assert touched(sim, BASE, 10, 6, 9) == [7, 8, 9]
    assert touched(sim, BASE, 10, 9, 12) == [0, 1, 2]     # wrapped to 0 at the end
    assert touched(sim, BASE, 10, 10, 11) == [1]          # a window inside a batch


def test_sequential_wraps_to_zero_not_modulo():
    # positions 0, 5000, 10000; masim: offset += stride, back to 0 past the end
    sim = seq_sim(3 * PG, 5000, batch=1)
    pages = [touched(sim, BASE, 3, t, t + 1) for t in range(6)]
    # offsets: 5000, 10000, 0, 5000, 10000, 0  (modulo would give 2712 at t=2 ...)
    assert pages == [[1], [2], [0], [1], [2], [0]]


def test_stride_larger_than_a_page_touches_exactly_the_strided_pages():
    size, stride = 100_000, 10_000
    sim = seq_sim(size, stride, batch=1000)
    npages = -(-size // PG)
    expected = sorted({j * stride // PG for j in range(10)})
    assert touched(sim, BASE, npages, 0, 1000) == expected
    t, m = sim.touched_pages(BASE, BASE + npages * PG, 0, 1000)
    assert (t, m) == (len(expected), npages)
    # a partial batch: positions 1..4 only
    assert touched(sim, BASE, npages, 0, 4) == sorted({j * stride // PG for j in (1, 2, 3, 4)})


def test_small_stride_covers_contiguous_pages():
    sim = seq_sim(8 * PG, 64, batch=64)
    # accesses at 64 .. 4096: pages 0 and 1
    assert touched(sim, BASE, 8, 0, 64) == [0, 1]
    # accesses at 4160 .. 8192: pages 1 and 2
    assert touched(sim, BASE, 8, 64, 128) == [1, 2]


def test_offset_restarts_with_each_phase_and_phases_loop():
    phases = [(3, [(0, False, PG, 1)]), (3, [(0, False, PG, 1)])]
    # rate 1000/s: one access per ms; 3 ms phases of one 3-access batch each
    sim = Sim([BASE], [10 * PG], phases, rate=1000, batch=3)
    assert touched(sim, BASE, 10, 0, 3000) == [1, 2, 3]
    assert touched(sim, BASE, 10, 3000, 6000) == [1, 2, 3]  # phase 2 starts at stride again
    assert touched(sim, BASE, 10, 6000, 9000) == [1, 2, 3]  # the list loops to phase 1
    assert sim.nr_cycles >= 1


def test_phase_overruns_by_at_most_one_batch():
    # phase 1: 5 ms but batches of 3 ms -> runs 6 ms; then phase 2 (region b)
    phases = [(5, [(0, False, PG, 1)]), (100, [(1, False, PG, 1)])]
    sim = Sim([BASE, BASE + 64 * PG], [10 * PG, 10 * PG], phases, rate=1000, batch=3)
    # rate 1000/s: one access per ms, batches of 3 accesses = 3 ms
    assert touched(sim, BASE, 10, 0, 6000) == [1, 2, 3, 4, 5, 6]
    assert touched(sim, BASE + 64 * PG, 10, 0, 6000) == []
    assert touched(sim, BASE + 64 * PG, 10, 6000, 9000) == [1, 2, 3]


def test_zero_weight_phase_makes_no_access_for_its_duration():
    phases = [(10, [(0, False, PG, 0)]), (10, [(0, False, PG, 1)])]
    sim = Sim([BASE], [4 * PG], phases, rate=1000, batch=2)
    assert touched(sim, BASE, 4, 0, 10_000) == []
    assert touched(sim, BASE, 4, 10_000, 12_000) == [1, 2]


def test_random_touch_probability_matches_binomial():
    npages, n = 1000, 500
    sim = Sim([BASE], [npages * PG], [(10_000, [(0, True, 64, 1)])], rate=1_000_000,
              batch=n)
    expected = 1 - (1 - 1 / npages) ** n       # ~0.394
    fractions = []
    for k in range(40):
        t, m = sim.touched_pages(BASE, BASE + npages * PG, k * n, (k + 1) * n)
        assert m == npages
        fractions.append(t / m)
    mean = sum(fractions) / len(fractions)
    assert abs(mean - expected) < 0.01
    # two batches together touch more: 1 - (1-p)^(2n)
    t, _ = sim.touched_pages(BASE, BASE + npages * PG, 0, 2 * n)
    assert abs(t / npages - (1 - (1 - 1 / npages) ** (2 * n))) < 0.05


def test_weighted_pattern_choice():
    # two one-page regions, random access (always touches its page), weights 3 : 1
    sim = Sim([BASE, BASE + 16 * PG], [PG, PG], [(100_000, [(0, True, 64, 3), (1, True, 64, 1)])],
              rate=1000, batch=1)
    addrs = array("Q", [BASE, BASE + 16 * PG])
    out = array("B", bytes(2))
    hits = [0, 0]
    for t in range(4000):
        sim.check(addrs, out, t * 1000, (t + 1) * 1000)
        assert out[0] + out[1] == 1
        hits[0] += out[0]
        hits[1] += out[1]
    assert 0.72 < hits[0] / 4000 < 0.78


def run_checks(seed: int) -> bytes:
    sim = Sim([BASE, BASE + 40_000 * PG], [30_000 * PG, 30_000 * PG],
              [(50, [(0, True, 64, 1), (1, False, 4096, 2)]), (30, [(1, True, 64, 1)])],
              rate=10_000_000, batch=131072, seed=seed)
    import random

    rnd = random.Random(7)
    addrs = array("Q", [BASE + rnd.randrange(70_000 * PG) for _ in range(500)])
    out = array("B", bytes(500))
    result = bytearray()
    for k in range(100):
        sim.check(addrs, out, k * 5000, (k + 1) * 5000)
        result += out
    return bytes(result)


def test_same_seed_same_answers_different_seed_different():
    a = run_checks(1)
    assert a == run_checks(1)
    assert a != run_checks(2)
    assert 0 < sum(a) < len(a)


def test_addresses_outside_regions_are_never_accessed():
    sim = seq_sim(4 * PG, 64, batch=1000)
    addrs = array("Q", [BASE - 1, BASE + 4 * PG, BASE + 100 * PG, 0])
    out = array("B", [1, 1, 1, 1])
    sim.check(addrs, out, 0, 10_000)
    assert list(out) == [0, 0, 0, 0]


def test_history_bound_is_reported():
    sim = Sim([BASE], [4 * PG], [(10_000, [(0, True, 64, 1)])], rate=1_000_000, batch=10,
              history=16)
    sim.advance(10_000)
    with pytest.raises(ValueError, match="history"):
        sim.touched_pages(BASE, BASE + 4 * PG, 0, 100)
    assert sim.touched_pages(BASE, BASE + 4 * PG, 9_900, 10_000)[1] == 4


def test_partial_last_page_beyond_the_last_position_is_never_touched():
    # size 4196, stride 3000: positions 0 and 3000 only, both in page 0
    sim = seq_sim(4196, 3000, batch=1000)
    assert touched(sim, BASE, 2, 0, 1000) == [0]
    assert sim.touched_pages(BASE, BASE + 2 * PG, 0, 1000) == (1, 2)
