"""Decoded records: per target, flat region arrays plus per-snapshot offsets and times.

Reports work on these arrays (in Cython), never on one Python object per region.
Times are in nanoseconds (damo's unit); addresses are half-open ``[start, end)``.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Intervals:
    """Monitoring intervals of a record (``None`` in a record when unknown)."""

    sample_us: int
    aggr_us: int
    update_us: int = 0

    @property
    def nr_samples(self) -> int:
        return self.aggr_us // self.sample_us if self.sample_us else 0


@dataclass
class TargetData:
    """All snapshots of one monitoring target, as flat arrays.

    Snapshot ``i`` holds regions ``offsets[i]:offsets[i+1]`` and spans
    ``[snap_start[i], snap_end[i])`` ns.
    """

    target_id: int | None
    description: str = ""
    intervals: Intervals | None = None
    snap_start: array = field(default_factory=lambda: array("q"))
    snap_end: array = field(default_factory=lambda: array("q"))
    offsets: array = field(default_factory=lambda: array("q", [0]))
    starts: array = field(default_factory=lambda: array("Q"))
    ends: array = field(default_factory=lambda: array("Q"))
    nr_accesses: array = field(default_factory=lambda: array("I"))
    ages: array = field(default_factory=lambda: array("I"))

    @property
    def nr_snapshots(self) -> int:
        return len(self.snap_start)

    @property
    def nr_regions(self) -> int:
        return len(self.starts)

    def regions(self, snapshot: int) -> list[tuple[int, int, int, int]]:
        """``(start, end, nr_accesses, age)`` of one snapshot (for tests and small uses)."""
        a, b = self.offsets[snapshot], self.offsets[snapshot + 1]
        return list(zip(self.starts[a:b], self.ends[a:b], self.nr_accesses[a:b],
                        self.ages[a:b], strict=True))

    def append(self, start_ns: int, end_ns: int,
               regions: Sequence[tuple[int, int, int, int]]) -> None:
        """Add one snapshot from ``(start, end, nr_accesses, age)`` tuples."""
        for s, e, n, a in regions:
            self.starts.append(s)
            self.ends.append(e)
            self.nr_accesses.append(n)
            self.ages.append(a)
        self.end_snapshot(start_ns, end_ns)

    def append_arrays(self, start_ns: int, end_ns: int, starts: array, ends: array,
                      nr_accesses: array, ages: array) -> None:
        """Add one snapshot from four arrays (an engine ``TargetSnapshot``'s)."""
        self.starts.extend(starts)
        self.ends.extend(ends)
        self.nr_accesses.extend(nr_accesses)
        self.ages.extend(ages)
        self.end_snapshot(start_ns, end_ns)

    def end_snapshot(self, start_ns: int, end_ns: int) -> None:
        """Close a snapshot whose regions were appended to the four arrays."""
        self.snap_start.append(start_ns)
        self.snap_end.append(end_ns)
        self.offsets.append(len(self.starts))

    def truncate(self, nr_snapshots: int) -> None:
        """Keep only the first ``nr_snapshots`` snapshots."""
        n = self.offsets[nr_snapshots]
        del self.snap_start[nr_snapshots:]
        del self.snap_end[nr_snapshots:]
        del self.offsets[nr_snapshots + 1:]
        for arr in (self.starts, self.ends, self.nr_accesses, self.ages):
            del arr[n:]


@dataclass
class Record:
    """A record read from any supported format."""

    path: str
    format: str  # "damon-tui", "damo-json-compressed", "damo-json", "perf-script"
    header: dict
    targets: list[TargetData]
    #: per frame (damon-tui format): ``(snapshot index of the first target, bytes)``
    extensions: list[tuple[int, bytes]] = field(default_factory=list)
    #: problems found while reading (damage, recovered snapshot counts)
    warnings: list[str] = field(default_factory=list)

    @property
    def nr_snapshots(self) -> int:
        return max((t.nr_snapshots for t in self.targets), default=0)

    @property
    def nr_regions(self) -> int:
        return sum(t.nr_regions for t in self.targets)

    @property
    def intervals(self) -> Intervals | None:
        for t in self.targets:
            if t.intervals is not None:
                return t.intervals
        return None

    def snapshots(self, target: int = 0) -> Iterator[tuple[int, int, list]]:
        """``(start_ns, end_ns, regions)`` per snapshot of one target."""
        t = self.targets[target]
        for i in range(t.nr_snapshots):
            yield t.snap_start[i], t.snap_end[i], t.regions(i)
