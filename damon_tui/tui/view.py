"""The monitor screen's view model: one immutable picture of what the panels show.

The engine worker (or the UI thread when stepping) builds a ``MonitorView`` from the
feed and the session under the feed's lock and posts it as a message; every panel
redraws from it with ``update(view)`` and never reads the source or the feed itself.
Nothing here imports Textual.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the view stays a plain container
    from rich.text import Text

    from damon_tui.engine import Attrs, Snapshot, TargetSnapshot
    from damon_tui.ops.names import NameIndex
    from damon_tui.tui.models import HeatmapModel


@dataclass(frozen=True)
class WssView:
    """The working-set panel's figures (live window or the whole replayed record)."""

    current: int = 0
    average: float = 0.0
    percentiles: tuple = ()
    series: tuple = ()
    excluded: int = 0
    title: str = "working set"
    subtitle: str = ""


@dataclass(frozen=True)
class SourceState:
    """Where the snapshots come from and how it is doing (the header's status)."""

    virtual: bool = False
    speed: float = 1.0
    started: bool = False
    paused: bool = True
    ended: bool = False
    error: str | None = None
    #: CPU of this process over the last seconds (fraction of one core); None = unknown
    cpu: float | None = None


@dataclass(frozen=True)
class ReplayState:
    pos: int
    length: int
    playing: bool
    first_time: str
    pos_time: str
    last_time: str
    speed: float = 1.0  # play speed (0: as fast as possible)


@dataclass(frozen=True)
class MonitorView:
    """Everything the monitor screen draws, at one instant."""

    generation: int
    description: str
    ops_line: str
    intervals_line: str
    attrs: Attrs | None
    live: bool
    nr_regions: int
    nr_targets: int
    target_idx: int
    target_label: str | None
    #: the latest snapshot (None before the first) and the shown target in it
    snapshot: Snapshot | None
    target: TargetSnapshot | None
    #: the shown target's heatmap model and its rows at this instant (oldest first)
    heatmap: HeatmapModel | None
    rows: tuple
    wss: WssView
    source: SourceState | None
    replay: ReplayState | None
    recording: tuple | None  # (path, size) while recording
    region_sort: str
    schemes: Text  # the schemes panel
    #: the shown target's mapping names (a ``NameIndex``; None: the ops cannot name them)
    names: NameIndex | None = None
    #: ``(recency, temperature)`` ``SzHistogram`` of the shown target's latest snapshot
    histograms: tuple = ()
    #: RSS, reclaimed/s, refaults/s, free memory over time (an ``OutcomesView``)
    outcomes: object | None = None

    @property
    def nr_samples(self) -> int:
        snap = self.snapshot
        if snap is None:
            return 1
        return max(snap.aggr_us // max(snap.sample_us, 1), 1)


class ProcessCpu:
    """This process's CPU use (all threads: engine, UI, recorder) over a recent window."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, float]] = deque()

    def sample(self, wall: float | None = None, cpu: float | None = None) -> float | None:
        """Record now; the fraction of one core used over the window (None: too early)."""
        wall = time.perf_counter() if wall is None else wall
        cpu = time.process_time() if cpu is None else cpu
        q = self._samples
        q.append((wall, cpu))
        while len(q) > 2 and wall - q[1][0] >= self.window_s:
            q.popleft()
        return self.fraction()

    def fraction(self) -> float | None:
        q = self._samples
        if len(q) < 2 or q[-1][0] - q[0][0] < 0.2:
            return None
        return (q[-1][1] - q[0][1]) / (q[-1][0] - q[0][0])


class NoCpu(ProcessCpu):
    """A meter that never has a figure (deterministic scenes show ``cpu -``)."""

    def sample(self, wall: float | None = None, cpu: float | None = None) -> float | None:
        return None

    def fraction(self) -> float | None:
        return None
