"""DAMOS in words: a scheme as one readable line, and why it is not acting.

``describe(scheme)`` -> ``pageout: 4 KiB..max, 0 accesses, age >= 5 s; quota 10 ms /
128 MiB per 1 s; watermarks free 200..500 permil (mid 400) every 5 s`` -- no raw
``UINT_MAX``/``ULONG_MAX``, the action said once.

``why_not(...)`` -> one line saying what stops a scheme from acting now
("inactive: free 733 permil above high 500", "quota full: size limit binds",
"no region old enough (oldest 3.1 s, needs 5 s)") or what it is doing
("acting: 3 regions, 12 MiB match").  It reads plain values (watermark state, quota
use, the latest regions), so any runner and the replay can feed it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from damon_tui.damos.scheme import Accesses, Age, Filter, Scheme
from damon_tui.units import UINT_MAX, ULONG_MAX, format_size


def size_words(v: int | float) -> str:
    """``4 KiB``, ``1.5 MiB``, ``max``, ``0 B`` (no trailing zeros)."""
    return format_size(v, trim=True)


def time_words(us: int | float) -> str:
    """``5 s``, ``100 ms``, ``1.5 s``, ``2 m``, ``max``."""
    if us >= ULONG_MAX:
        return "max"
    for unit, div in (("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000),
                      ("ms", 1000)):
        if us >= div:
            return f"{us / div:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{int(us)} us"


def _is_max(v: float) -> bool:
    """``max``: ULONG_MAX (damo) or UINT_MAX (the kernel's nr_accesses/age fields)."""
    return v >= UINT_MAX


def _acc(a: Accesses) -> str:
    return f"{a.value:g}%" if a.unit == "percent" else f"{int(a.value)}"


def _age(a: Age, aggr_us: int | None) -> str:
    if a.unit == "usec":
        return time_words(a.value)
    if aggr_us:
        return time_words(a.value * aggr_us)
    return f"{a.value} aggr intervals"


def _accesses_words(lo: Accesses, hi: Accesses) -> str | None:
    unit = " accesses" if hi.unit == "samples" and lo.unit == "samples" else " accessed"
    if lo.value == 0 and _is_max(hi.value):
        return None
    if _is_max(hi.value):
        return f">= {_acc(lo)}{unit}"
    if lo.value == hi.value:
        return f"{_acc(lo)}{unit}"
    if lo.value == 0:
        return f"<= {_acc(hi)}{unit}"
    return f"{_acc(lo)}..{_acc(hi)}{unit}"


def _age_words(lo: Age, hi: Age, aggr_us: int | None) -> str | None:
    if lo.value == 0 and _is_max(hi.value):
        return None
    if _is_max(hi.value):
        return f"age >= {_age(lo, aggr_us)}"
    if lo.value == 0:
        return f"age <= {_age(hi, aggr_us)}"
    return f"age {_age(lo, aggr_us)}..{_age(hi, aggr_us)}"


def pattern_words(s: Scheme, aggr_us: int | None = None) -> str:
    """``4 KiB..max, 0 accesses, age >= 5 s`` (``any region`` when unbounded); ages in
    aggregation intervals become times when ``aggr_us`` is known."""
    p = s.access_pattern
    parts = []
    if p.min_sz or not _is_max(p.max_sz):
        parts.append(f"{size_words(p.min_sz)}..{size_words(p.max_sz)}")
    for w in (_accesses_words(p.min_nr_accesses, p.max_nr_accesses),
              _age_words(p.min_age, p.max_age, aggr_us)):
        if w:
            parts.append(w)
    return ", ".join(parts) or "any region"


def quota_words(s: Scheme) -> str | None:
    """``quota 10 ms / 128 MiB per 1 s, goal active_mem_bp 5000`` or None (no quota)."""
    q = s.quota
    if not q.is_set:
        return None
    limits = []
    if q.ms:
        limits.append(f"{q.ms} ms")
    if q.sz:
        limits.append(size_words(q.sz))
    text = "quota " + (" / ".join(limits) + " " if limits else "") + \
        f"per {time_words(q.reset_interval_ms * 1000)}"
    for g in q.active_goals:
        text += f", goal {g.metric} {g.target_value}"
    return text


def watermarks_words(s: Scheme) -> str | None:
    w = s.watermarks
    if w.metric == "none":
        return None
    return (f"watermarks free {w.low}..{w.high} permil (mid {w.mid}) every "
            f"{time_words(w.interval_us)}")


def _filter_words(f: Filter) -> str:
    what = f.filter_type
    if f.filter_type == "addr":
        what = f"addr {f.addr_start:#x}-{f.addr_end:#x}"
    elif f.filter_type == "target":
        what = f"target {f.target_idx}"
    elif f.filter_type == "memcg":
        what = f"memcg {f.memcg_path}"
    elif f.filter_type == "hugepage_size":
        what = f"hugepage {size_words(f.hugepage_min or 0)}..{size_words(f.hugepage_max or 0)}"
    return f"{'allow' if f.allow else 'reject'} {'' if f.matching else 'non-'}{what}"


def describe(s: Scheme, aggr_us: int | None = None) -> str:
    """The whole scheme in one line of words (``aggr_us``: ages as times)."""
    parts = [f"{s.action}: {pattern_words(s, aggr_us)}"]
    extra = [quota_words(s), watermarks_words(s)]
    if s.filters:
        extra.append("filters " + ", ".join(_filter_words(f) for f in s.filters))
    if s.apply_interval_us:
        extra.append(f"applied every {time_words(s.apply_interval_us)}")
    if s.target_nid is not None and s.action.startswith("migrate"):
        extra.append(f"to node {s.target_nid}")
    return "; ".join([*parts, *(e for e in extra if e)])


# -- why a scheme is (not) acting --------------------------------------------------------

@dataclass(frozen=True)
class LiveState:
    """What a running scheme's state says right now (plain values, no runner objects)."""

    active: bool = True
    #: free memory rate (permil) at the last watermark check; None = not checked
    free_permil: int | None = None
    quota_full: bool = False
    #: effective size quota of the current window (0 = none yet) and bytes charged in it
    esz: int = 0
    charged_sz: int = 0


def _inactive_reason(s: Scheme, free: int | None) -> str:
    w = s.watermarks
    if free is None:
        return "inactive: free memory not measured yet"
    if free > w.high:
        return f"inactive: free {free} permil above high {w.high}"
    if free < w.low:
        return f"inactive: free {free} permil below low {w.low}"
    return f"inactive: free {free} permil, waits to drop below mid {w.mid}"


def _quota_reason(s: Scheme, live: LiveState) -> str:
    q = s.quota
    if q.sz and live.esz >= q.sz:
        binds = "size limit binds"
    elif q.active_goals:
        binds = "goal tuning binds"
    elif q.ms:
        binds = f"time limit binds ({q.ms} ms ~ {size_words(live.esz)})"
    else:
        binds = "limit reached"
    return f"quota full: {binds} ({size_words(live.charged_sz)} of " \
        f"{size_words(live.esz)} this {time_words(q.reset_interval_ms * 1000)})"


def why_not(s: Scheme, live: LiveState, regions: Iterable[tuple[int, int, int, int]],
            sample_us: int, aggr_us: int) -> str:
    """One line: what keeps the scheme from acting, or what it acts on.

    ``regions`` are the latest snapshot's ``(start, end, nr_accesses, age)`` of every
    target (ages in aggregation intervals), monitored with ``sample_us``/``aggr_us``.
    """
    if s.watermarks.metric != "none" and not live.active:
        return _inactive_reason(s, live.free_permil)
    if live.quota_full:
        return _quota_reason(s, live)
    p = s.access_pattern.resolve(sample_us, aggr_us)
    n = size = 0
    fits_sz = fits_acc = 0
    oldest = coldest = None
    hottest = 0
    for start, end, acc, age in regions:
        sz = end - start
        ok_sz = p.min_sz <= sz <= p.max_sz
        ok_acc = p.min_nr_accesses <= acc <= p.max_nr_accesses
        ok_age = p.min_age <= age <= p.max_age
        fits_sz += ok_sz
        fits_acc += ok_sz and ok_acc
        if ok_sz and ok_acc:
            oldest = age if oldest is None else max(oldest, age)
        coldest = acc if coldest is None else min(coldest, acc)
        hottest = max(hottest, acc)
        if ok_sz and ok_acc and ok_age:
            n += 1
            size += sz
    if n:
        return f"acting: {n} region{'s' if n > 1 else ''}, {size_words(size)} match"
    if coldest is None:
        return "no region monitored yet"
    if not fits_sz:
        return "no region of a matching size"
    if not fits_acc:
        if coldest > p.max_nr_accesses:
            return (f"no region cold enough (coldest {coldest} accesses, needs <= "
                    f"{p.max_nr_accesses})")
        return (f"no region hot enough (hottest {hottest} accesses, needs >= "
                f"{p.min_nr_accesses})")
    if oldest is not None and oldest < p.min_age:
        return (f"no region old enough (oldest {time_words(oldest * aggr_us)}, needs "
                f"{time_words(p.min_age * aggr_us)})")
    return f"no region young enough (needs age <= {time_words(p.max_age * aggr_us)})"
