"""vaddr page idle checks against a fake procfs/sysfs root driven by a scripted kernel."""

from array import array

import pytest
from fake_kernel import FakeKernel

from damon_tui.errors import UserError
from damon_tui.ops.base import TargetGone
from damon_tui.ops.procfs import PageIdleBitmap
from damon_tui.ops.vaddr import VaddrOps

PID = 4242
VMAS = [(0x10000, 0x20000), (0x400000, 0x500000), (0x900000, 0xA00000)]


@pytest.fixture
def kernel(tmp_path):
    k = FakeKernel(tmp_path)
    k.add_process(PID, VMAS)
    return k


def _ops(kernel, check="page-idle"):
    return VaddrOps([PID], access_check=check, root=kernel.root)


def test_page_idle_is_chosen_and_reported_per_page(kernel):
    ops = _ops(kernel, "auto")
    assert ops.access_check == "page idle"
    assert ops.resolution == "per page"
    assert ops.targets()[0].pid == PID
    assert ops.target_ranges(0) == [(0x10000, 0x20000), (0x400000, 0x500000),
                                    (0x900000, 0xA00000)]


def test_prepare_marks_sampled_pfns_idle_and_check_reads_accesses(kernel):
    addrs = array("Q", [0x10000, 0x11000 + 123, 0x400000, 0x900000])
    pfns = [100, 101, 200, 300]
    for addr, pfn in zip(addrs, pfns, strict=True):
        kernel.map_page(PID, addr, pfn)
    ops = _ops(kernel)
    ops.prepare_access_checks(0, addrs, 0)
    assert all(kernel.idle(p) for p in pfns)
    assert not kernel.idle(102)  # only the sampled pages are marked
    kernel.access(101)
    kernel.access(300)
    out = array("B", [9] * len(addrs))
    ops.check_accesses(0, addrs, out, 5000)
    assert list(out) == [0, 1, 0, 1]


def test_non_present_pages_are_not_accessed_and_faulted_in_pages_are(kernel):
    addrs = array("Q", [0x10000, 0x400000, 0x900000])
    kernel.map_page(PID, 0x900000, 300)
    ops = _ops(kernel)
    ops.prepare_access_checks(0, addrs, 0)
    kernel.map_page(PID, 0x400000, 222)  # first touch between prepare and check
    out = array("B", [9] * 3)
    ops.check_accesses(0, addrs, out, 5000)
    assert list(out) == [0, 1, 0]
    # swapped out / unmapped after prepare: not present -> not accessed
    ops.prepare_access_checks(0, addrs, 5000)
    kernel.map_page(PID, 0x400000, None)
    kernel.access(300)
    ops.check_accesses(0, addrs, out, 10000)
    assert list(out) == [0, 0, 1]


def test_pages_the_kernel_cannot_track_read_as_not_accessed(kernel, monkeypatch):
    untrackable = {500}
    real_write = PageIdleBitmap._write_word

    def write(self, index, value):  # the kernel ignores idle writes to non-LRU pages
        for pfn in untrackable:
            if pfn >> 6 == index:
                value &= ~(1 << (pfn & 63))
        real_write(self, index, value)

    monkeypatch.setattr(PageIdleBitmap, "_write_word", write)
    addrs = array("Q", [0x10000, 0x400000])
    kernel.map_page(PID, 0x10000, 500)
    kernel.map_page(PID, 0x400000, 501)
    ops = _ops(kernel)
    ops.prepare_access_checks(0, addrs, 0)
    out = array("B", [9, 9])
    ops.check_accesses(0, addrs, out, 5000)
    assert list(out) == [0, 0]  # 500 reads "not idle" but was never trackable
    kernel.access(501)
    ops.check_accesses(0, addrs, out, 5000)
    assert list(out) == [0, 1]


def test_target_exit_raises_target_gone_from_check(kernel):
    ops = _ops(kernel)
    addrs = array("Q", [0x10000])
    ops.prepare_access_checks(0, addrs, 0)
    kernel.exit(PID)
    with pytest.raises(TargetGone):
        ops.check_accesses(0, addrs, array("B", [0]), 5000)
    # every target is gone: the next update interval ends monitoring too
    with pytest.raises(TargetGone):
        ops.target_ranges(0)


def test_zombie_target_is_gone(kernel):
    ops = _ops(kernel)
    kernel.add_process(PID, VMAS, state="Z")
    with pytest.raises(TargetGone):
        ops.check_accesses(0, array("Q", [0x10000]), array("B", [0]), 5000)


def test_explicit_page_idle_without_bitmap_says_why(kernel):
    kernel.bitmap.unlink()
    with pytest.raises(UserError,
                       match="page-idle: page idle tracking: no - .*page_idle/bitmap does not"):
        _ops(kernel, "page-idle")
    ops = _ops(kernel, "auto")  # auto falls back to clear_refs and says so
    assert ops.access_check == "clear_refs" and ops.resolution == "per mapping"
    assert "does not exist" in ops.fallback_reason


def test_missing_pid_is_a_user_error(kernel):
    with pytest.raises(UserError, match="no process with PID 999"):
        VaddrOps([999], root=kernel.root)


def test_anon_filter_is_judged_per_page_from_pagemap(kernel):
    from damon_tui.damos.runtime import DamosRunner, validate_for_ops
    from damon_tui.damos.scheme import Filter, Scheme
    from damon_tui.engine import RegionList

    base = 0x400000
    kernel.map_page(PID, base, 0x100)                  # anonymous
    kernel.map_page(PID, base + 0x1000, 0x101, file=True)  # file page
    kernel.map_page(PID, base + 0x2000, 0x102)         # anonymous
    ops = _ops(kernel, "clear-refs")
    region = [RegionList([(base, base + 0x4000, 0, 0, 0)])]  # 4th page not present

    def passed(f):
        r = DamosRunner([Scheme(action="stat", filters=(f,))], ops, 5000, 100_000)
        return r.apply(region, 20, 20, 0)[0].sz_ops_filter_passed

    assert passed(Filter("anon", matching=True, allow=True)) == 2 * 4096
    assert passed(Filter("anon", matching=True, allow=False)) == 4096
    with pytest.raises(UserError, match="pagemap.*'young'"):
        validate_for_ops([Scheme(action="stat", filters=(Filter("young"),))], ops)
