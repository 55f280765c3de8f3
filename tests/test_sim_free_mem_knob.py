"""The sim's free-memory knob: the modelled machine's other processes lower
free_mem_rate, so DAMON_RECLAIM's watermarks can be shown activating."""

from __future__ import annotations

import pytest

from damon_tui.cli import main
from damon_tui.damos.io import parse_one_line
from damon_tui.damos.runtime import runner_for
from damon_tui.engine import Attrs, Monitor
from damon_tui.errors import UserError
from damon_tui.ops.sim import SimOps
from damon_tui.options.targets import sim_free_mem_permil


def test_free_mem_rate_drops_by_the_other_processes_share():
    alone = SimOps("zigzag")
    crowded = SimOps("zigzag", free_mem_permil=450)
    assert alone.free_mem_rate() == 1000 and crowded.free_mem_rate() == 450
    assert crowded.free_mem_permil == 450
    crowded.set_free_mem_permil(1000)
    assert crowded.free_mem_rate() == 1000
    with pytest.raises(UserError, match="0..1000 permil"):
        crowded.set_free_mem_permil(1001)


def test_watermarked_scheme_acts_only_when_the_knob_lowers_free_memory():
    # DAMON_LRU_SORT's default watermarks: active between 50 and 200 permil free
    scheme = parse_one_line("min max min max min max stat 0 0 1000 0 0 0 free_mem_rate "
                            "100000 200 150 50")

    def run(permil: int) -> tuple[int, int]:
        ops = SimOps("zigzag", seed=1, free_mem_permil=permil)
        hook = runner_for((scheme,), ops, 5000, 100_000)
        snaps = list(Monitor(ops, Attrs(), seed=1, damos=hook).run(3_000_000))
        return len(snaps), (snaps[-1].schemes[0].sz_tried if snaps else 0)

    # alone, the resident workload leaves 333 permil free: above high, monitoring waits
    assert run(1000) == (0, 0)
    # other processes use 20 %: 133 permil free, below mid: the scheme is active
    nr, tried = run(800)
    assert nr >= 25 and tried > 0


@pytest.mark.parametrize("text, permil", [(None, 1000), ("60%", 600), ("12.5", 125),
                                          ("0", 0)])
def test_cli_value_is_a_percentage(text, permil):
    assert sim_free_mem_permil(text) == permil


def test_cli_bad_value_is_one_line_exit_2(capsys):
    assert main(["monitor", "--sim", "zigzag", "--sim-free-mem", "150%", "--duration",
                 "1s"]) == 2
    assert "--sim-free-mem: expected a percentage 0..100, got '150%'" in capsys.readouterr().err
