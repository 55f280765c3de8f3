"""Per-snapshot monitoring intervals of a record (they change when auto-tuned).

A damon-tui record stores each frame's sampling and aggregation intervals; the reader
lists where they differ from the header in ``header["interval_changes"]``.  Every frame
of our records holds every target (the engine snapshots all of them), so a target's
snapshot ``k`` is frame ``k``.  Other formats have one set of intervals per target.
"""

from __future__ import annotations

from array import array

from damon_tui.record.model import Intervals, Record, TargetData
from damon_tui.record.ours import INTERVAL_CHANGES


def changes(record: Record) -> list[tuple[int, int, int]]:
    """``[(first snapshot, sample_us, aggr_us), ...]`` when the intervals change within
    the record, else ``[]`` (constant intervals: the header's are right)."""
    if record.format != "damon-tui":
        return []
    raw = record.header.get(INTERVAL_CHANGES)
    if not isinstance(raw, list) or not raw:
        return []
    out = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 3
                and all(isinstance(v, int) and v >= 0 for v in item)):
            return []
        out.append((item[0], item[1], item[2]))
    iv = record.intervals
    if len(out) == 1 and iv is not None and (iv.sample_us, iv.aggr_us) == out[0][1:]:
        return []
    return out


def snapshot_intervals(record: Record, t: TargetData) -> list[Intervals | None] | None:
    """The intervals of each snapshot of ``t``; None when they are ``t.intervals`` for
    every snapshot (the common, constant case)."""
    ch = changes(record)
    if not ch:
        return None
    update = t.intervals.update_us if t.intervals else 0
    out: list[Intervals | None] = []
    seg = -1
    cur: Intervals | None = t.intervals
    for k in range(t.nr_snapshots):
        while seg + 1 < len(ch) and ch[seg + 1][0] <= k:
            seg += 1
            _, sample, aggr = ch[seg]
            cur = Intervals(sample, aggr, update) if sample and aggr else t.intervals
        out.append(cur)
    return out


def snapshot_aggr_us(record: Record, t: TargetData) -> array | None:
    """Per snapshot aggregation interval in us (``array('q')``, 0 = unknown), or None
    when constant (use ``t.intervals``)."""
    ivs = snapshot_intervals(record, t)
    if ivs is None:
        return None
    return array("q", [iv.aggr_us if iv is not None else 0 for iv in ivs])
