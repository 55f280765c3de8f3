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


def test_ops_filters_are_refused_in_one_sentence_naming_the_reason(kernel):
    from damon_tui.damos.runtime import validate_for_ops
    from damon_tui.damos.scheme import Filter, Scheme

    ops = PaddrOps(root=kernel.root, euid=0)
    s = Scheme(action="stat", filters=(Filter("young"),))
    with pytest.raises(UserError) as e:
        validate_for_ops([s], ops)
    msg = str(e.value)
    assert "paddr" in msg and "page by page" in msg and "'young'" in msg
    assert "\n" not in msg
