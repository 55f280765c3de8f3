"""Outcomes over time, where the operations set knows them: RSS, bytes reclaimed per
second, refaults per second, free memory (no Textual here).

- the sim models all four for its workload and machine (``SimOps.stats``): reclaimed =
  paged out by DAMOS + evicted by the modelled reclaim;
- a process (vaddr): its RSS (``/proc/PID/statm``), the machine's free memory and
  refaults (``/proc/vmstat`` ``workingset_refault_*``, machine-wide, labelled so), and
  the bytes DAMOS ``pageout`` schemes applied;
- physical memory (paddr): the machine's free memory and refaults, DAMOS pageout bytes.

:func:`read_outcomes` samples the ops once (engine thread, once per snapshot);
:class:`OutcomesModel` turns cumulative counters into per-second rates and keeps a
bounded series of each.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

PAGE_SIZE = 4096
#: kept points per series
HISTORY = 240


@dataclass(frozen=True)
class Sample:
    """One reading; ``None`` where the ops cannot tell.  Counters are cumulative."""

    t_us: int
    rss: int | None = None
    reclaimed_total: int | None = None
    refaults_total: int | None = None
    free_permil: int | None = None
    #: "workload" when refaults are the target's own, "machine" when machine-wide
    refault_scope: str = "workload"


@dataclass(frozen=True)
class Series:
    name: str
    unit: str  # "bytes", "bytes/s", "/s", "permil"
    values: tuple
    note: str = ""


@dataclass(frozen=True)
class OutcomesView:
    series: tuple[Series, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.series)


def pageout_applied(stats, schemes) -> int | None:
    """Bytes DAMOS ``pageout`` schemes applied so far (None: no pageout scheme)."""
    total = [st.sz_applied for st, sc in zip(stats or (), schemes or (), strict=False)
             if sc.action == "pageout"]
    return sum(total) if total else None


def _vmstat_refaults(procfs) -> int | None:
    text = procfs.read_text("proc/vmstat")
    if not text:
        return None
    total, seen = 0, False
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key in ("workingset_refault", "workingset_refault_anon",
                   "workingset_refault_file") and value.strip().isdigit():
            total += int(value)
            seen = True
    return total if seen else None


def _statm_rss(procfs, pid: int) -> int | None:
    text = procfs.read_text(f"proc/{pid}/statm")
    parts = text.split() if text else []
    return int(parts[1]) * PAGE_SIZE if len(parts) > 1 and parts[1].isdigit() else None


def read_outcomes(ops, now_us: int, pageout_applied: int | None = None,
                  target_idx: int = 0) -> Sample | None:
    """What ``ops`` knows now (None: nothing).  ``pageout_applied``: bytes DAMOS
    pageout schemes applied so far, for ops that do not model reclaim themselves."""
    stats = getattr(ops, "stats", None)
    if getattr(ops, "kind", "") == "sim" and callable(stats):
        st = stats()
        return Sample(now_us, st.rss_bytes, st.bytes_paged_out + st.bytes_reclaimed,
                      st.refaults, st.free_mem_rate)
    procfs = getattr(ops, "procfs", None)
    if procfs is None:
        return None
    rss = None
    pids = getattr(ops, "pids", None)
    if callable(pids):
        ids = pids()
        if target_idx < len(ids):
            rss = _statm_rss(procfs, ids[target_idx])
    try:
        free = ops.free_mem_rate()
    except Exception:  # a vanished or unreadable meminfo: leave it out
        free = None
    return Sample(now_us, rss, pageout_applied, _vmstat_refaults(procfs), free,
                  refault_scope="machine")


class OutcomesModel:
    """Series of RSS, reclaimed bytes/s, refaults/s and free memory (any thread)."""

    def __init__(self, history: int = HISTORY) -> None:
        self.rss: deque = deque(maxlen=history)
        self.reclaimed: deque = deque(maxlen=history)
        self.refaults: deque = deque(maxlen=history)
        self.free: deque = deque(maxlen=history)
        self.refault_scope = "workload"
        self._last: Sample | None = None

    def add(self, s: Sample | None) -> None:
        if s is None:
            return
        last = self._last
        self._last = s
        self.refault_scope = s.refault_scope
        if s.rss is not None:
            self.rss.append(s.rss)
        if s.free_permil is not None:
            self.free.append(s.free_permil)
        if last is None or s.t_us <= last.t_us:
            return
        dt = (s.t_us - last.t_us) / 1e6
        for total, prev, out in ((s.reclaimed_total, last.reclaimed_total, self.reclaimed),
                                 (s.refaults_total, last.refaults_total, self.refaults)):
            if total is not None and prev is not None:
                out.append(max(total - prev, 0) / dt)

    def view(self) -> OutcomesView:
        out = []
        if self.rss:
            out.append(Series("rss", "bytes", tuple(self.rss)))
        if self.reclaimed:
            out.append(Series("reclaimed", "bytes/s", tuple(self.reclaimed)))
        if self.refaults:
            note = "machine" if self.refault_scope == "machine" else ""
            out.append(Series("refaults", "/s", tuple(self.refaults), note))
        if self.free:
            out.append(Series("free mem", "permil", tuple(self.free)))
        return OutcomesView(tuple(out))


BLOCKS = "▁▂▃▄▅▆▇█"


def spark(values, width: int, top: float | None = None) -> str:
    """A one-line sparkline of the last ``width`` values, scaled to ``top`` (default:
    their maximum)."""
    vals = list(values)[-width:] if width > 0 else []
    if not vals:
        return ""
    top = max(vals) if top is None else top
    if top <= 0:
        return BLOCKS[0] * len(vals)
    return "".join(BLOCKS[min(int(v / top * (len(BLOCKS) - 1) + 0.5), len(BLOCKS) - 1)]
                   for v in vals)
