"""paddr: System RAM from /proc/iomem, page idle checks on PFNs, stat only (fake roots)."""

from array import array

import pytest
from fake_kernel import FakeKernel

from damon_tui.errors import UserError
from damon_tui.ops.paddr import PaddrOps


@pytest.fixture
def kernel(tmp_path):
    return FakeKernel(tmp_path)


def test_system_ram_ranges_merged_from_iomem(kernel):
    ops = PaddrOps(root=kernel.root, euid=0)
    assert ops.target_ranges(0) == [(0x1000, 0x9FC00), (0x100000, 0x20000000)]
    assert ops.targets()[0].description == "System RAM"
    assert ops.update_each_interval() is False
    assert (ops.kind, ops.resolution, ops.access_check) == ("paddr", "per page", "page idle")


def test_user_ranges_replace_system_ram(kernel):
    ops = PaddrOps([(0x200000, 0x400000)], root=kernel.root, euid=0)
    assert ops.target_ranges(0) == [(0x200000, 0x400000)]


def test_checks_on_pfns(kernel):
    ops = PaddrOps(root=kernel.root, euid=0)
    addrs = array("Q", [0x100000, 0x101000 + 5, 0x200000])
    ops.prepare_access_checks(0, addrs, 0)
    assert kernel.idle(0x100) and kernel.idle(0x101) and kernel.idle(0x200)
    kernel.access(0x101)
    out = array("B", [9] * 3)
    ops.check_accesses(0, addrs, out, 5000)
    assert list(out) == [0, 1, 0]


def test_only_stat_is_supported(kernel):
    ops = PaddrOps(root=kernel.root, euid=0)
    assert ops.supported_actions() == frozenset({"stat"})
    assert "kernel's paddr" in ops.unsupported_reason("pageout")
    assert "--pid" in ops.unsupported_reason("willneed")


def test_needs_root(kernel):
    with pytest.raises(UserError, match="needs root"):
        PaddrOps(root=kernel.root, euid=1000)


def test_needs_page_idle_and_prints_doctor_line(kernel):
    kernel.bitmap.unlink()
    with pytest.raises(UserError, match="does not exist.*ops paddr: no"):
        PaddrOps(root=kernel.root, euid=0)


def test_iomem_hidden_from_non_root_is_explained(kernel):
    (kernel.proc / "iomem").write_text("00000000-00000000 : System RAM\n")
    with pytest.raises(UserError, match="zero addresses"):
        PaddrOps(root=kernel.root, euid=0)


def test_ops_filters_are_refused_without_kpageflags_in_one_sentence(kernel):
    from damon_tui.damos.runtime import validate_for_ops
    from damon_tui.damos.scheme import Filter, Scheme

    ops = PaddrOps(root=kernel.root, euid=0)
    s = Scheme(action="stat", filters=(Filter("young"),))
    with pytest.raises(UserError) as e:
        validate_for_ops([s], ops)
    msg = str(e.value)
    assert "paddr" in msg and "kpageflags" in msg and "'young'" in msg
    assert "\n" not in msg


def test_stat_counts_lru_pages_passing_kpageflags_filters(kernel):
    from damon_tui.damos.runtime import DamosRunner
    from damon_tui.damos.scheme import Filter, Scheme
    from damon_tui.engine import RegionList
    from damon_tui.ops.procfs import KPF_ACTIVE, KPF_ANON, KPF_LRU, KPF_MMAP, KPF_THP

    lru, anon, mmap = 1 << KPF_LRU, 1 << KPF_ANON, 1 << KPF_MMAP
    base = 0x1000  # PFN of 0x1000000, inside System RAM
    kernel.set_kpageflags({base: lru | anon | mmap,            # anon, mapped
                           base + 1: lru | mmap | 1 << KPF_ACTIVE,  # file, active
                           base + 2: lru | anon | 1 << KPF_THP,     # anon THP, unmapped
                           base + 3: anon})                     # not on an LRU: skipped
    ops = PaddrOps(root=kernel.root, euid=0)
    start, end = base << 12, (base + 4) << 12

    def passed(*filters):
        r = DamosRunner([Scheme(action="stat", filters=filters)], ops, 5000, 100_000)
        return r.apply([RegionList([(start, end, 0, 0, 0)])], 20, 20, 0)[0]

    st = passed(Filter("anon", matching=True, allow=True))
    assert st.sz_ops_filter_passed == 2 * 4096 and st.sz_applied == 0
    assert passed(Filter("anon", matching=True, allow=False)).sz_ops_filter_passed == 4096
    assert passed(Filter("active", allow=True)).sz_ops_filter_passed == 4096
    assert passed(Filter("unmapped", allow=True)).sz_ops_filter_passed == 4096
    huge = Filter("hugepage_size", allow=True, hugepage_min=2 << 20, hugepage_max=2 << 20)
    assert passed(huge).sz_ops_filter_passed == 4096
    # young = not idle in the page idle bitmap; judged pages are marked idle (mkold)
    assert passed(Filter("young", allow=True)).sz_ops_filter_passed == 3 * 4096
    assert passed(Filter("young", allow=True)).sz_ops_filter_passed == 0
    # without ops filters nothing is counted
    r = DamosRunner([Scheme(action="stat")], ops, 5000, 100_000)
    assert r.apply([RegionList([(start, end, 0, 0, 0)])], 20, 20, 0)[0].sz_ops_filter_passed \
        == 0
