"""Replay of a record file (damon-tui's or damo's) through the same widgets.

``Replay`` wraps a decoded ``Record`` and builds engine-like snapshots by index; the
app feeds every snapshot up to the timeline position into its models (so the heatmap
shows the record so far, the whole record at its end).  The schemes a
damon-tui record was made with (header) and their per-snapshot statistics (frame
extensions) come back as ``Snapshot.schemes``; working-set percentiles are computed
once over the whole record with the report's Cython code.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass

from damon_tui.damos.io import schemes_from_json
from damon_tui.damos.runtime import DamosStats
from damon_tui.engine import TargetSnapshot
from damon_tui.errors import UserError
from damon_tui.record import open_record
from damon_tui.report.wss import target_wss
from damon_tui.tui.models import WSS_EXCLUDE_SAMPLES, WSS_PERCENTILES, chunk_means, percentiles
from damon_tui.units import format_time_us


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
        #: problems met while reading the record's schemes (shown as notifications)
        self.notes: list[str] = []
        self.schemes = self._header_schemes()
        #: end of each snapshot in us since the record's start (play and fitting)
        self.ends_us = self._ends()
        self._ext = dict(record.extensions)
        self._ext_cache: dict[int, tuple] = {}
        self._wss: dict[int, WholeWss] = {}

    def _header_schemes(self) -> tuple:
        """The schemes in the record's header (damon-tui records made with schemes)."""
        doc = self.record.header.get("schemes")
        if not doc:
            return ()
        try:
            return schemes_from_json(doc, f"{self.record.path}: header schemes")
        except UserError as e:
            self.notes.append(f"schemes not shown: {e}")
            return ()

    def _ends(self) -> list[int]:
        ends = [0] * self.record.nr_snapshots
        for t in self.record.targets:
            for i in range(t.nr_snapshots):
                ends[i] = max(ends[i], (t.snap_end[i] - self.start_ns) // 1000)
        return ends

    @property
    def duration_us(self) -> int:
        """From the record's start to its last snapshot's end."""
        return self.ends_us[-1] if self.ends_us else 0

    def end_us(self, i: int) -> int:
        return self.ends_us[i] if self.ends_us else 0

    def index_at(self, t_us: int) -> int:
        """The last snapshot ending at or before ``t_us`` (0 at least)."""
        return max(bisect.bisect_right(self.ends_us, t_us) - 1, 0)

    def target_names(self) -> list[str]:
        """One label per target of the record."""
        return [t.description or f"target {t.target_id}" for t in self.record.targets]

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
        """Per-scheme ``DamosStats`` stored with snapshot ``i`` (empty when none)."""
        got = self._ext_cache.get(i)
        if got is not None:
            return got
        raw = self._ext.get(i)
        out: tuple = ()
        if raw is not None:
            out = scheme_stats(raw)
        if len(self._ext_cache) > 4096:
            self._ext_cache.clear()
        self._ext_cache[i] = out
        return out

    def whole_wss(self, target_idx: int = 0) -> WholeWss:
        """Working-set sizes of every snapshot of one target (computed once)."""
        got = self._wss.get(target_idx)
        if got is None:
            t = self.record.targets[target_idx]
            first = min(WSS_EXCLUDE_SAMPLES, t.nr_snapshots)
            values = target_wss(t, exclude_samples=WSS_EXCLUDE_SAMPLES)
            got = WholeWss(values, first, t.nr_snapshots)
            self._wss[target_idx] = got
        return got

    def time_text(self, i: int) -> str:
        if not len(self):
            return "empty"
        s = self.snapshot(min(i, len(self) - 1))
        return format_time_us(s.end_us)


@dataclass(frozen=True)
class WholeWss:
    """WSS per snapshot of a whole record (damo's ``report wss`` input, time order)."""

    values: list
    first: int  # snapshots excluded at the start (damo's ``exclude_samples``)
    total: int  # snapshots of the target

    def percentiles(self) -> list[tuple[int, int]]:
        return percentiles(self.values, WSS_PERCENTILES)

    def average(self) -> float:
        return sum(self.values) / len(self.values) if self.values else 0.0

    def series(self, n: int) -> list[float]:
        return chunk_means(self.values, n)

    def coverage(self) -> str:
        """What the percentiles cover, e.g. ``snapshots 21-300 of 300``."""
        if not self.values:
            return f"none of {self.total} snapshots (first {self.first} skipped)"
        return f"snapshots {self.first + 1}-{self.total} of {self.total}"


def scheme_stats(raw: bytes) -> tuple:
    """A frame extension's per-scheme statistics as ``DamosStats`` (``()`` if unreadable)."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return ()
    if not isinstance(doc, list):
        return ()
    out = []
    n = len(DamosStats._fields)
    for item in doc:
        if isinstance(item, dict):
            item = [item.get(k, d) for k, d in zip(DamosStats._fields,
                                                   DamosStats._field_defaults.values(),
                                                   strict=True)]
        if not isinstance(item, list):
            return ()
        try:
            out.append(DamosStats(*item[:n]))
        except TypeError:
            return ()
    return tuple(out)


def load_replay(path: str) -> Replay:
    """Open any record format (UserError names the problem)."""
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
