"""What-if: DAMOS schemes replayed on a record's access pattern (pure model, no UI).

:func:`damon_tui.options.whatif.sweep_configs` gives one validated
:class:`WhatifConfig` per swept value; :func:`run_whatif` replays the record once
without schemes (the baseline) and once per configuration through the engine and
DAMOS (:class:`~damon_tui.ops.recorded.RecordedOps`), and returns one
:class:`WhatifRow` per configuration.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from damon_tui.damos.runtime import runner_for
from damon_tui.engine import Attrs, Monitor
from damon_tui.errors import UserError
from damon_tui.ops.recorded import RecordedOps, timeline
from damon_tui.record.model import Record


@dataclass(frozen=True)
class WhatifConfig:
    """One point of the sweep: its label, schemes and monitoring attributes."""

    label: str
    value: str
    schemes: tuple
    attrs: Attrs


@dataclass(frozen=True)
class WhatifRow:
    """The modelled outcome of one configuration against the no-scheme baseline."""

    label: str
    value: str
    avg_rss: float
    peak_rss: int
    saved_avg: float       # baseline average RSS - this average RSS
    saved_peak: int        # largest baseline RSS - this RSS at the same moment
    refaults: int
    slowdown: float        # refaults x refault cost / replayed time
    damos_ms_per_s: float  # modelled DAMOS time charged to the quota per second
    qt_exceeds: int
    sz_applied: int
    paged_out: int
    duration_us: int
    #: time the watermarks kept every scheme off (monitoring suspended, as kdamond)
    wmarks_off_us: int = 0
    #: free memory rate (permil) at the last watermark check; None: never checked
    free_permil: int | None = None
    #: (low, mid) permil: free memory between them turns the schemes on (the widest
    #: band of the schemes watching free memory); None: no scheme watches it
    wmarks_band: tuple[int, int] | None = None

    @property
    def applied_per_s(self) -> float:
        """Bytes the schemes' actions applied to per second (paged out, sorted...)."""
        return self.sz_applied / (self.duration_us / 1e6) if self.duration_us else 0.0

    @property
    def always_off(self) -> bool:
        """The watermarks kept every scheme off for the whole replay."""
        return self.duration_us > 0 and self.wmarks_off_us >= self.duration_us


@dataclass(frozen=True)
class Baseline:
    """The replay without schemes: RSS at the end of every record snapshot."""

    ends_us: list[int]
    rss: list[int]
    avg_rss: float
    peak_rss: int
    refaults: int
    mem_total: int

    def rss_at(self, t_us: int) -> int:
        """Baseline RSS at the latest snapshot end at or before ``t_us``."""
        i = bisect_right(self.ends_us, t_us) - 1
        return self.rss[i] if i >= 0 else 0


def record_attrs(record: Record, target: int = 0) -> Attrs:
    """Monitoring attributes for the replay: the record's own intervals."""
    tl = timeline(record, target)
    sample = int(tl.sample_us[0])
    nr = int(tl.nr_samples[0])
    try:
        return Attrs(sample_us=sample, aggr_us=sample * nr)
    except ValueError as e:
        raise UserError(f"{record.path}: intervals: {e}") from None


def baseline(record: Record, target: int = 0, seed: int = 0, **ops_kw) -> Baseline:
    """Replay the record without monitoring or schemes."""
    ops = RecordedOps(record, target, seed=seed, **ops_kw)
    ends, rss = [], []
    for end in ops.timeline.end_us:
        ops.advance(end)
        ends.append(int(end))
        rss.append(ops.rss_bytes)
    st = ops.stats()
    return Baseline(ends, rss, st.avg_rss_bytes, st.peak_rss_bytes, st.refaults,
                    st.mem_total)


def run_config(record: Record, cfg: WhatifConfig, base: Baseline, target: int = 0,
               seed: int = 0, progress: Callable[[int], None] | None = None,
               **ops_kw) -> WhatifRow:
    """Replay the record with one configuration's schemes; compare with ``base``."""
    ops = RecordedOps(record, target, seed=seed, **ops_kw)
    duration = ops.duration_us
    a = cfg.attrs
    runner = runner_for(cfg.schemes, ops, a.sample_us, a.aggr_us)
    m = Monitor(ops, a, seed=seed, damos=runner)
    saved_peak = 0
    for snap in m.run(duration):
        saved_peak = max(saved_peak, base.rss_at(snap.end_us) - ops.rss_bytes)
        if progress is not None:
            progress(snap.end_us)
    ops.advance(duration)
    st = ops.stats()
    charged = sz_applied = qt = off_us = 0
    free = None
    if runner is not None:
        charged = sum(s.quota.total_charged_ns for s in runner.states)
        for s in runner.stats():
            sz_applied += s.sz_applied
            qt += s.qt_exceeds
        off_us = min(runner.wmarks.idle_us, duration)
        free = runner.wmarks.last_metric
    secs = duration / 1e6 if duration else 1.0
    watching = [s.watermarks for s in cfg.schemes if s.watermarks.metric == "free_mem_rate"]
    band = (min(w.low for w in watching), max(w.mid for w in watching)) if watching else None
    return WhatifRow(cfg.label, cfg.value, st.avg_rss_bytes, st.peak_rss_bytes,
                     base.avg_rss - st.avg_rss_bytes, saved_peak, st.refaults, st.slowdown,
                     charged / 1e6 / secs, qt, sz_applied, st.bytes_paged_out, duration,
                     off_us, free, band)


def run_whatif(record: Record, configs: Sequence[WhatifConfig], target: int = 0,
               seed: int = 0, progress: Callable[[int, int], None] | None = None,
               **ops_kw) -> tuple[Baseline, list[WhatifRow]]:
    """The baseline and one row per configuration.

    ``progress(done_us, total_us)`` is called as the replays advance.
    """
    base = baseline(record, target, seed, **ops_kw)
    if ops_kw.get("mem_total") is None:
        # like the sim: a machine 1.5 x the memory the workload uses (watermarks see
        # 333 permil free when it is all resident); the baseline fits, so it is unchanged
        ops_kw = {**ops_kw, "mem_total": max(base.peak_rss * 3 // 2, 1 << 20)}
        base = replace(base, mem_total=ops_kw["mem_total"])
    total = (len(configs) + 1) * timeline(record, target).duration_us
    if progress is not None:
        progress(total // (len(configs) + 1), total)
    rows = []
    for i, cfg in enumerate(configs):
        done = (i + 1) * (total // (len(configs) + 1))
        cb = None if progress is None else (lambda t, d=done: progress(d + t, total))
        rows.append(run_config(record, cfg, base, target, seed, cb, **ops_kw))
    return base, rows

