"""Regions carry their mapping's name: masim region names in the sim, /proc/PID/maps
names for processes (``[heap]``, a file, ``anon``), System RAM for paddr."""

from __future__ import annotations

from fake_kernel import FakeKernel

from damon_tui.ops.names import NameIndex, short_name
from damon_tui.ops.sim import SimOps
from damon_tui.ops.vaddr import VaddrOps

PID = 4242
LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"
VMAS = [(0x400000, 0x401000, "/usr/bin/app"), (0x1000000, 0x1200000, "[heap]"),
        (0x7F00_0000_0000, 0x7F00_0010_0000, ""),
        (0x7F00_0020_0000, 0x7F00_0022_0000, LIBC), (0x7F00_0022_0000, 0x7F00_0030_0000, LIBC),
        (0x7FFF_FF00_0000, 0x7FFF_FF02_1000, "[stack]")]


def test_process_mappings_are_named_from_proc_maps(tmp_path):
    k = FakeKernel(tmp_path)
    k.add_process(PID, VMAS)
    ops = VaddrOps([PID], root=k.root, access_check="clear-refs")
    names = ops.mapping_names(0)
    assert [n for _, _, n in names] == ["/usr/bin/app", "[heap]", "anon", LIBC, LIBC,
                                        "[stack]"]
    assert names[1][:2] == (0x1000000, 0x1200000)


def test_process_names_follow_maps_at_the_update_interval(tmp_path):
    k = FakeKernel(tmp_path)
    k.add_process(PID, VMAS)
    ops = VaddrOps([PID], root=k.root, access_check="clear-refs")
    ops.target_ranges(0)
    k.set_maps(PID, [*VMAS[:2], (0x2000000, 0x2100000, "/tmp/data.bin"), *VMAS[2:]], {})
    assert "/tmp/data.bin" not in [n for *_, n in ops.mapping_names(0)]
    ops.target_ranges(0)  # what the engine calls every update interval
    assert "/tmp/data.bin" in [n for *_, n in ops.mapping_names(0)]


def test_sim_names_its_masim_regions():
    ops = SimOps("kvstore")
    names = ops.mapping_names(0)
    assert [n for *_, n in names] == [r.name for r in ops.workload.regions]
    assert [(s, e) for s, e, _ in names] == ops.mappings


def test_name_index_finds_the_mapping_of_an_address_and_spans_of_a_region():
    idx = NameIndex([(s, e, n or "anon") for s, e, n in VMAS])
    assert idx.name_at(0x1000000) == "[heap]"
    assert idx.name_at(0x11FFFFF) == "[heap]"
    assert idx.name_at(0x1200000) is None          # the gap after the heap
    assert idx.name_at(0x3FFFFF) is None
    assert idx.names_in(0x7F00_0000_0000, 0x7F00_0030_0000) == ["anon", LIBC]
    assert idx.label(0x7F00_0020_0000, 0x7F00_0030_0000) == "libc.so.6"
    assert idx.label(0x400000, 0x7F00_0000_1000) == "app +2"
    assert idx.label(0x500000, 0x600000) == "-"
    assert len(idx.label(0x7F00_0020_0000, 0x7F00_0021_0000, width=6)) == 6


def test_short_name_is_the_file_base_name():
    assert short_name(LIBC) == "libc.so.6"
    assert short_name("/memfd:x (deleted)") == "memfd:x (deleted)"
    assert short_name("[heap]") == "[heap]"
