"""``report raw``: every region of every snapshot, one line each."""

from __future__ import annotations

from typing import TextIO

from damon_tui.errors import UserError
from damon_tui.record.model import Record

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
        for k in range(t.nr_snapshots):
            a, b = t.offsets[k], t.offsets[k + 1]
            prefix = f"{tid_txt} {k} {t.snap_start[k]} {t.snap_end[k]}"
            out.write("".join(
                f"{prefix} {s} {e} {nr} {age}\n"
                for s, e, nr, age in zip(t.starts[a:b], t.ends[a:b], t.nr_accesses[a:b],
                                         t.ages[a:b], strict=True)))
            n += b - a
    return n
