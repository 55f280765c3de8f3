"""``record --kernel --pid``: the real kernel's DAMON watches a real process.

A workload with two separate 4 MB mappings taking turns (6 s each) runs as a real
process; ``damon-tui record --kernel`` records it through a kdamond of its own with a
``stat`` scheme; the record is read back with our reader.

The harness boots the guest with ``pti=on`` (see tests/vm/run.py): without it TCG's
software TLB kept the workload's pages and their accessed bits, once DAMON cleared them,
were not set again, so the hot mapping showed in only 20-60 % of the snapshots.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from guestlib import KDAMONDS, Cli, Workload, read, start_workload

from damon_tui.damos.runtime import DamosStats
from damon_tui.record import open_record

STATE_DIR = Path("/run/damon-tui")
# regions of 4 KiB or more that kept their access count for 1 s
SCHEME = "4K max min max 1s max stat"
PHASE_MS = 6000
MARGIN_S = 1.0  # snapshots this close to a phase change are not judged
CONFIG = f"""\
a, 4194304
b, 4194304

a
{PHASE_MS}
a, 0, 4096, 1

b
{PHASE_MS}
b, 0, 4096, 1
"""


@dataclass
class Recorded:
    work: Workload
    zigzag: Path  # record --kernel of the workload, snapshots only
    with_scheme: Path  # then again with a stat scheme of our own
    after: dict  # the kernel's tree and our state dir right after the first record


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Recorded:
    tmp = tmp_path_factory.mktemp("zigzag")
    config = tmp / "zigzag.cfg"
    config.write_text(CONFIG)
    work = start_workload(config, 2, "--repeat", "60")
    try:
        zigzag = tmp / "zigzag.rec"
        proc = Cli()("record", "--kernel", "--pid", str(work.pid), "-o", str(zigzag),
                     "--duration", "36s", "--sample", "20ms", "--aggr", "400ms")
        assert proc.returncode == 0, proc.stderr
        # as the record ended, before any test fixture resets the guest's kernel
        after = {"nr_kdamonds": read(KDAMONDS / "nr_kdamonds"),
                 "state_files": sorted(p.name for p in STATE_DIR.glob("*"))}
        with_scheme = tmp / "scheme.rec"
        proc = Cli()("record", "--kernel", "--pid", str(work.pid), "-o", str(with_scheme),
                     "--duration", "6s", "--schemes", SCHEME)
        assert proc.returncode == 0, proc.stderr
    finally:
        work.stop()
    return Recorded(work, zigzag, with_scheme, after)


def hotness(regions, mapping: tuple[int, int]) -> float:
    """Mean nr_accesses over the mapping's bytes."""
    lo, hi = mapping
    total = 0
    for start, end, nr_accesses, _age in regions:
        overlap = min(end, hi) - max(start, lo)
        if overlap > 0:
            total += overlap * nr_accesses
    return total / (hi - lo)


def test_hot_mapping_is_the_one_the_workload_was_touching(recorded):
    work = recorded.work
    record = open_record(recorded.zigzag)
    t0 = record.header["start_time"]
    phases = work.phases()
    judged = right = 0
    right_per_mapping = {"a": 0, "b": 0}
    seen = []
    for start_ns, end_ns, regions in record.snapshots(0):
        s, e = t0 + start_ns / 1e9, t0 + end_ns / 1e9
        phase = next((name for name, ps, pe in phases
                      if ps + MARGIN_S <= s and e <= pe - MARGIN_S), None)
        if phase is None:
            continue
        heat = {m: hotness(regions, work.regions[m]) for m in ("a", "b")}
        judged += 1
        other = "b" if phase == "a" else "a"
        seen.append((round(s - t0, 1), phase, {m: round(h, 1) for m, h in heat.items()}))
        if heat[phase] > heat[other]:
            right += 1
            right_per_mapping[phase] += 1
    # the snapshot rate under TCG is low (about one a second on a busy host): few judged
    assert judged >= 8, (judged, record.nr_snapshots, phases)
    assert right / judged >= 0.8, (seen, work.lines[:4])
    assert min(right_per_mapping.values()) >= 3, seen


def test_record_names_the_kernel_kdamond_and_vaddr_target(recorded):
    work = recorded.work
    record = open_record(recorded.zigzag)
    kernel = record.header["kernel"]
    assert kernel["operations"] == "vaddr"
    assert kernel["targets"] == [{"pid": work.pid, "regions": []}]
    assert kernel["pid"] > 0
    assert record.nr_snapshots >= 12  # 24 s at 400 ms aggregations; TCG is slow


def test_stat_scheme_stats_grow_snapshot_after_snapshot(recorded):
    record = open_record(recorded.with_scheme)
    assert record.header["schemes"], record.header
    stats = [DamosStats(*json.loads(ext)[0]) for _, ext in record.extensions]
    assert len(stats) == record.nr_snapshots >= 3
    tried = [s.nr_tried for s in stats]
    assert tried == sorted(tried) and tried[-1] > tried[0], tried
    assert stats[-1].sz_tried > stats[0].sz_tried


def test_record_leaves_the_kernel_tree_as_found(recorded):
    assert recorded.after == {"nr_kdamonds": "0", "state_files": []}
