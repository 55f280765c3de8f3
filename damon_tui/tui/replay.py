"""Replay of a record file (damon-tui's or damo's) through the same widgets.

``Replay`` wraps a decoded ``Record`` and builds engine-like snapshots by index; the
app feeds the snapshots before the timeline position into its models.
"""

from __future__ import annotations

from dataclasses import dataclass

from damon_tui.engine import TargetSnapshot
from damon_tui.units import format_time_us

#: snapshots fed into the models when the timeline jumps (the visible history)
SEEK_WINDOW = 120


@dataclass(frozen=True)
class ReplayAttrs:
    """The record's intervals as the header shows them (region limits unknown)."""

    sample_us: int
    aggr_us: int
    update_us: int
    min_nr_regions: int = 0
    max_nr_regions: int = 0


@dataclass(frozen=True)
class ReplaySnapshot:
    start_us: int
    end_us: int
    sample_us: int
    aggr_us: int
    targets: list
    schemes: tuple = ()


class Replay:
    """A record's snapshots addressed by index."""

    def __init__(self, record) -> None:
        self.record = record
        iv = record.intervals
        if iv is not None and iv.sample_us and iv.aggr_us:
            self.sample_us, self.aggr_us = iv.sample_us, iv.aggr_us
            update = iv.update_us
        else:  # no intervals (old damo records): heat in samples of a guessed window
            self.sample_us, self.aggr_us, update = 5000, 100_000, 0
            t = record.targets[0] if record.targets else None
            if t is not None and t.nr_snapshots:
                top = max(t.nr_accesses) if len(t.nr_accesses) else 0
                self.sample_us = max(1, self.aggr_us // max(top, 1))
        self.attrs = ReplayAttrs(self.sample_us, self.aggr_us, update)
        self.description = f"replay {record.path}"
        self.start_ns = min((t.snap_start[0] for t in record.targets if t.nr_snapshots),
                            default=0)

    def __len__(self) -> int:
        return self.record.nr_snapshots

    def ops_line(self) -> str:
        h = self.record.header
        return (f"record {self.record.format} · ops {h.get('ops', 'unknown')} · "
                f"{h.get('resolution', 'unknown')} resolution")

    def snapshot(self, i: int) -> ReplaySnapshot:
        targets = []
        start = end = 0
        for t in self.record.targets:
            if i >= t.nr_snapshots:
                continue
            a, b = t.offsets[i], t.offsets[i + 1]
            targets.append(TargetSnapshot(t.target_id, t.starts[a:b], t.ends[a:b],
                                   t.nr_accesses[a:b], t.ages[a:b]))
            start = (t.snap_start[i] - self.start_ns) // 1000
            end = (t.snap_end[i] - self.start_ns) // 1000
        return ReplaySnapshot(start, end, self.sample_us, self.aggr_us, targets,
                              self._schemes(i))

    def _schemes(self, i: int) -> tuple:
        return ()

    def time_text(self, i: int) -> str:
        if not len(self):
            return "empty"
        s = self.snapshot(min(i, len(self) - 1))
        return format_time_us(s.end_us)


def load_replay(path: str) -> Replay:
    """Open any record format (UserError names the problem)."""
    from damon_tui.errors import UserError

    try:
        from damon_tui.record import open_record
    except ImportError as e:
        raise UserError(f"not available: reading records needs the record module ({e})") \
            from None
    record = open_record(path)
    if not record.nr_snapshots:
        raise UserError(f"{path}: the record holds no snapshot")
    return Replay(record)


def timeline_bar(pos: int, total: int, width: int) -> str:
    """``━━━━●──────`` for position ``pos`` (0-based) of ``total``."""
    width = max(width, 3)
    if total <= 1:
        return "●" + "─" * (width - 1)
    k = pos * (width - 1) // (total - 1)
    return "━" * k + "●" + "─" * (width - 1 - k)
