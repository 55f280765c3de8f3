"""SimOps as an operations set: identity, layout, access checks, config files."""

from __future__ import annotations

from array import array

import pytest

from damon_tui.cli import main
from damon_tui.errors import UserError
from damon_tui.ops.base import Ops, OpsError
from damon_tui.ops.sim import BASE_ADDR, SimOps, builtin_workloads

PG = 4096


def test_sim_ops_identity():
    ops = SimOps("stairs")
    assert isinstance(ops, Ops)
    assert (ops.kind, ops.clock, ops.resolution, ops.access_check) == (
        "sim", "virtual", "per page", "simulated")
    assert [t.description for t in ops.targets()] == ["sim:stairs"]
    with pytest.raises(OpsError):
        ops.target_ranges(1)


def test_one_page_aligned_mapping_per_region_with_gaps():
    ops = SimOps("stairs")
    ranges = ops.target_ranges(0)
    assert len(ranges) == 10 and ranges[0][0] == BASE_ADDR
    for (s, e), region in zip(ranges, ops.workload.regions, strict=True):
        assert s % PG == 0 and e % PG == 0
        assert e - s == -(-region.size // PG) * PG
    for (_, e), (s, _) in zip(ranges, ranges[1:], strict=False):
        assert s - e >= 1 << 20 and s % (2 << 20) == 0


def test_three_regions_mode_uses_the_vaddr_rule():
    ops = SimOps("stairs", ranges="three")
    three = ops.target_ranges(0)
    assert len(three) == 3
    assert three[0][0] == ops.mappings[0][0] and three[-1][1] == ops.mappings[-1][1]
    # zigzag has two mappings only: falls back to them
    assert SimOps("zigzag", ranges="three").target_ranges(0) == SimOps("zigzag").mappings


def test_prepare_and_check_use_the_window_between_them():
    ops = SimOps("zigzag")
    (a0, _), (b0, _) = ops.mappings
    addrs = array("Q", [a0 + 100 * PG, b0 + 100 * PG])
    out = array("B", bytes(2))
    ops.prepare_access_checks(0, addrs, 12_000_000)          # a's turn
    ops.check_accesses(0, addrs, out, 12_005_000)
    assert list(out) == [1, 0]
    ops.prepare_access_checks(0, addrs, 17_000_000)          # b's turn
    ops.check_accesses(0, addrs, out, 17_005_000)
    assert list(out) == [0, 1]
    assert ops.now_us == 17_005_000 and ops.phase_name() == "b turn 1"


def test_masim_config_path_and_access_rate(shared_dir):
    ops = SimOps(str(shared_dir / "masim-configs" / "zigzag.cfg"), access_rate=1e6)
    assert ops.name == "zigzag" and ops.access_rate == 1_000_000
    ops.advance(1_000_000)
    assert ops.stats().nr_accesses >= 1_000_000


def test_unknown_name_lists_builtins():
    with pytest.raises(UserError) as info:
        SimOps("zagzig")
    for name in builtin_workloads():
        assert name in str(info.value)


def test_workloads_command_lists_one_line_each(capsys):
    assert main(["workloads"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(builtin_workloads())
    assert any(line.startswith("zigzag") and "13 phases" in line for line in lines)
    assert main(["workloads", "stairs"]) == 0
    assert "step9" in capsys.readouterr().out
    assert main(["workloads", "nosuch"]) == 2
    assert "unknown workload 'nosuch'" in capsys.readouterr().err


def test_too_large_workload_is_refused_clearly(tmp_path):
    cfg = tmp_path / "huge.cfg"
    cfg.write_text("a, 2199023255552\n\np\n10\na, 1, 64, 1\n")
    with pytest.raises(UserError, match=r"huge\.cfg: the regions total .* at most 1024 GiB"):
        SimOps(str(cfg))
