"""vaddr clear_refs + smaps checks: per-mapping resolution, nothing finer invented."""

from array import array

import pytest
from fake_kernel import FakeKernel

from damon_tui.ops.base import TargetGone
from damon_tui.ops.vaddr import FvaddrOps, VaddrOps, referenced_hit

PID = 77
A, B, C = (0x100000, 0x200000), (0x400000, 0x800000), (0x1000000, 0x1400000)


@pytest.fixture
def kernel(tmp_path):
    k = FakeKernel(tmp_path)
    k.bitmap.unlink()  # no page idle tracking: clear_refs is the only way
    k.add_process(PID, [A, B, C], refs={A[0]: A[1] - A[0], B[0]: 0,
                                        C[0]: (C[1] - C[0]) // 4})
    return k


def _fraction(ops, lo, hi, n=4000):
    hits = 0
    out = array("B", [0] * 40)
    for s in range(n // 40):
        addrs = array("Q", [lo + ((i * 7919 + s * 104729) * 4096) % (hi - lo) for i in range(40)])
        ops.prepare_access_checks(0, addrs, s)
        ops.check_accesses(0, addrs, out, s)
        hits += sum(out)
    return hits / n


def test_clear_refs_written_at_prepare_and_reported_per_mapping(kernel):
    ops = VaddrOps([PID], root=kernel.root)
    assert (ops.access_check, ops.resolution) == ("clear_refs", "per mapping")
    (kernel.proc / str(PID) / "clear_refs").write_text("")
    ops.prepare_access_checks(0, array("Q", [A[0]]), 0)
    assert kernel.clear_refs_written(PID) == "1"


def test_each_mapping_carries_its_referenced_fraction(kernel):
    ops = VaddrOps([PID], root=kernel.root)
    assert _fraction(ops, *A) == 1.0
    assert _fraction(ops, *B) == 0.0
    assert 0.2 < _fraction(ops, *C) < 0.3
    # two halves of mapping C (two regions) carry the same fraction: no finer detail
    mid = (C[0] + C[1]) // 2
    left, right = _fraction(ops, C[0], mid), _fraction(ops, mid, C[1])
    assert abs(left - right) < 0.06


def test_addresses_outside_mappings_are_not_accessed(kernel):
    ops = VaddrOps([PID], root=kernel.root)
    out = array("B", [9, 9])
    ops.check_accesses(0, array("Q", [0x300000, 0x2000000]), out, 0)
    assert list(out) == [0, 0]


def test_rule_is_deterministic_and_bounded():
    assert all(referenced_hit(a * 4096, 3, 1.0) for a in range(100))
    assert not any(referenced_hit(a * 4096, 3, 0.0) for a in range(100))
    assert [referenced_hit(a * 4096, 5, 0.5) for a in range(64)] == \
        [referenced_hit(a * 4096, 5, 0.5) for a in range(64)]


def test_target_exit_ends_checks(kernel):
    ops = VaddrOps([PID], root=kernel.root)
    kernel.exit(PID)
    with pytest.raises(TargetGone):
        ops.check_accesses(0, array("Q", [A[0]]), array("B", [0]), 0)


def test_fvaddr_keeps_fixed_ranges(kernel):
    ops = FvaddrOps(PID, [(0x400000, 0x600000)], root=kernel.root)
    assert ops.kind == "fvaddr"
    assert ops.target_ranges(0) == [(0x400000, 0x600000)]
    assert ops.update_each_interval() is False


def test_cpu_budget_defaults_are_at_least_100ms(kernel):
    ops = VaddrOps([PID], root=kernel.root)
    sample_us, aggr_us = ops.default_intervals
    assert sample_us >= 100_000 and aggr_us == 20 * sample_us
