"""Ground truth agrees with the per-address answers the engine gets."""

from __future__ import annotations

from array import array

import pytest

from damon_tui.ops.sim import SimOps

PG = 4096


def all_page_addrs(ops: SimOps) -> array:
    return array("Q", [a for s, e in ops.mappings for a in range(s, e, PG)])


@pytest.mark.parametrize("name", ["zigzag", "hotset", "scan"])
def test_true_fraction_equals_share_of_pages_the_checks_see_accessed(name):
    ops = SimOps(name, seed=3)
    addrs = all_page_addrs(ops)
    out = array("B", bytes(len(addrs)))
    for t0 in (2_000_000, 2_003_000, 12_345_000, 12_350_000):
        t1 = t0 + 5000
        ops.prepare_access_checks(0, addrs, t0)
        ops.check_accesses(0, addrs, out, t1)
        total = sum(ops.true_touched_bytes(s, e, t0, t1) for s, e in ops.mappings)
        assert total == sum(out) * PG
        s, e = ops.mappings[0]
        n = (e - s) // PG
        assert ops.true_access_fraction(s, e, t0, t1) == pytest.approx(sum(out[:n]) / n)
        # asking again gives the same answer
        again = array("B", bytes(len(addrs)))
        ops._sim.check(addrs, again, t0, t1)
        assert again == out


def test_page_counts_match_per_window_checks():
    ops = SimOps("hotset", seed=5)
    s, e = ops.mappings[1]  # the hot set
    addrs = array("Q", range(s, e, PG))
    out = array("B", bytes(len(addrs)))
    t0, step, nwin = 5_000_000, 5000, 20
    counts = ops.true_page_counts(s, e, t0, t0 + step * nwin, step)
    expect = [0] * len(addrs)
    for k in range(nwin):
        ops._sim.check(addrs, out, t0 + k * step, t0 + (k + 1) * step)
        for i, v in enumerate(out):
            expect[i] += v
    assert list(counts) == expect
    assert max(expect) > 0


def test_zigzag_truth_follows_the_phases():
    ops = SimOps("zigzag")
    (a0, a1), (b0, b1) = ops.mappings
    # warm-up: both regions, sequential 4 KiB stride covers everything within 5 ms
    assert ops.true_access_fraction(a0, a1, 5_000_000, 5_100_000) == 1.0
    assert ops.true_access_fraction(b0, b1, 5_000_000, 5_100_000) == 1.0
    # 10-15 s: a's turn; 15-20 s: b's turn
    assert ops.true_access_fraction(a0, a1, 12_000_000, 12_100_000) == 1.0
    assert ops.true_access_fraction(b0, b1, 12_000_000, 12_100_000) == 0.0
    assert ops.true_access_fraction(a0, a1, 17_000_000, 17_100_000) == 0.0
    # the whole list loops: 70 s + 5 s is in the warm-up again
    assert ops.true_access_fraction(b0, b1, 75_000_000, 75_100_000) == 1.0


def test_freq_abs_error_is_zero_for_the_true_frequencies_and_grows_when_wrong():
    ops = SimOps("zigzag")
    (a0, a1), (b0, b1) = ops.mappings
    t0, t1, sample = 12_000_000, 12_100_000, 5000
    exact = [(a0, a1, 20, 0), (b0, b1, 0, 0)]
    err, pages = ops.true_freq_abs_error(exact, t0, t1, sample, 20)
    assert pages == (a1 - a0 + b1 - b0) // PG and err == pytest.approx(0.0)
    wrong = [(a0, a1, 0, 0), (b0, b1, 20, 0)]
    err, pages = ops.true_freq_abs_error(wrong, t0, t1, sample, 20)
    assert err / pages == pytest.approx(1.0)
