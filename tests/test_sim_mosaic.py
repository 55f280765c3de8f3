"""The built-in ``mosaic`` workload: fine structure that needs more than 100 regions."""

from __future__ import annotations

import importlib
import statistics

from damon_tui.cli import main
from damon_tui.ops.sim import SimOps, load_workload

engine = importlib.import_module("damon_tui.engine")

MIB = 1 << 20
SCANNED = range(4, 96, 8)


def test_mosaic_parses_as_96_tables_and_36_one_batch_scans():
    w = load_workload("mosaic")
    assert w.description and len(w.regions) == 96
    assert {r.size for r in w.regions} == {8 * MIB}
    assert len(w.phases) == 36
    scanned = set()
    for phase in w.phases:
        assert phase.duration_ms == 1 and len(phase.patterns) == 1
        pattern = phase.patterns[0]
        assert not pattern.random and pattern.stride in (16, 32, 48)
        scanned.add(pattern.region)
    assert scanned == {f"tbl{i:02d}" for i in SCANNED}


def test_mosaic_is_listed_by_the_workloads_command(capsys):
    assert main(["workloads"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("mosaic ")]
    assert len(lines) == 1 and "36 phases" in lines[0]


def test_mosaic_scans_make_a_ramp_with_a_cold_tail():
    ops = SimOps("mosaic")
    mon = engine.Monitor(ops, engine.Attrs(), seed=0)
    snap = list(mon.run(1_000_000))[-1]
    t0, t1 = snap.start_us, snap.end_us
    start, _ = ops.mappings[4]
    head = ops.true_page_counts(start, start + 2 * MIB, t0, t1, snap.sample_us)
    step = ops.true_page_counts(start + 4 * MIB, start + 6 * MIB, t0, t1, snap.sample_us)
    # the first 2 MiB are scanned three times per ~94 ms pass, 4-6 MiB once
    assert statistics.mean(head) > 2 * statistics.mean(step) > 0
    assert ops.true_touched_bytes(start + 6 * MIB + 4096, start + 8 * MIB, t0, t1) == 0
    idle_start, idle_end = ops.mappings[5]
    assert ops.true_touched_bytes(idle_start, idle_end, t0, t1) == 0


def _run(max_nr: int) -> tuple[float, float]:
    """(mean regions, mean |estimated - true| WSS in bytes) over 5 s of virtual time."""
    ops = SimOps("mosaic")
    mon = engine.Monitor(ops, engine.Attrs(max_nr_regions=max_nr), seed=0)
    counts, errors = [], []
    for k, snap in enumerate(mon.run(5_000_000)):
        regions = snap.targets[0]
        if k < 10:  # let the regions adapt for 1 s
            continue
        counts.append(len(regions))
        est = sum(e - s for s, e, nr, _ in regions if nr >= 1)
        true = sum(ops.true_touched_bytes(s, e, snap.start_us, snap.end_us)
                   for s, e in ops.mappings)
        errors.append(abs(est - true))
    return statistics.mean(counts), statistics.mean(errors)


def test_mosaic_keeps_more_regions_and_a_closer_wss_at_max_nr_regions_1000():
    regions_100, wss_err_100 = _run(100)
    regions_1000, wss_err_1000 = _run(1000)
    # 96 mappings + 12 tables x 3 steps: the ramps only fit under the larger limit
    assert regions_100 <= 100
    assert regions_1000 > 120
    # at 100 the scanned tables stay whole, so their never-touched tails count as WSS
    assert wss_err_1000 < wss_err_100 / 2
