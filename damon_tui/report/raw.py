"""``report raw``: every region of every snapshot, one line each.

When the intervals change within a record (auto-tuning), a comment line
``# intervals from snapshot K: sample_us S aggr_us A`` precedes the first snapshot of
each stretch of equal intervals (records with constant intervals get none).
"""

from __future__ import annotations

from typing import TextIO

from damon_tui.errors import UserError
from damon_tui.record.model import Record
from damon_tui.report.intervals import snapshot_intervals

HEADER = "# target_id snapshot start_ns end_ns region_start region_end nr_accesses age"


def write_raw(record: Record, out: TextIO, tid: int | None = None) -> int:
    """Write the lines; returns the number of regions written."""
    targets = [t for t in record.targets if tid is None or t.target_id == tid]
    if tid is not None and not targets:
        raise UserError(f"--tid: no target {tid} in {record.path}")
    out.write(HEADER + "\n")
    n = 0
    for t in targets:
        tid_txt = str(t.target_id)
        ivs = snapshot_intervals(record, t)
        for k in range(t.nr_snapshots):
            if ivs is not None and (k == 0 or ivs[k] != ivs[k - 1]):
                iv = ivs[k]
                out.write(f"# intervals from snapshot {k}: " + (
                    "unknown\n" if iv is None
                    else f"sample_us {iv.sample_us} aggr_us {iv.aggr_us}\n"))
            a, b = t.offsets[k], t.offsets[k + 1]
            prefix = f"{tid_txt} {k} {t.snap_start[k]} {t.snap_end[k]}"
            out.write("".join(
                f"{prefix} {s} {e} {nr} {age}\n"
                for s, e, nr, age in zip(t.starts[a:b], t.ends[a:b], t.nr_accesses[a:b],
                                         t.ages[a:b], strict=True)))
            n += b - a
    return n
