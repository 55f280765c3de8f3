"""The monitor screen's schemes panel: per-scheme stats, quota use, watermark state."""

from __future__ import annotations

from rich.text import Text

from damon_tui.damos.describe import LiveState, describe, why_not
from damon_tui.tui import damos_bridge
from damon_tui.units import format_size


def render(app, snap) -> Text:
    """Text for the schemes panel from the latest snapshot and the running schemes."""
    session = app.session
    if getattr(app, "replay", None) is not None:
        return render_recorded(app.replay, snap)
    monitor = session.monitor
    schemes = list(getattr(monitor, "schemes", ()) or ()) if monitor is not None else []
    if not schemes:
        return Text("no schemes: e edits, p presets", style="dim")
    owners = damos_bridge.scheme_owners(app)
    stats = tuple(getattr(snap, "schemes", ()) or ()) if snap is not None else ()
    live = damos_bridge.live_state(session.monitor) if session.monitor is not None else []
    regions = damos_bridge.snapshot_regions(snap)
    sample_us = snap.sample_us if snap is not None else monitor.attrs.sample_us
    aggr_us = snap.aggr_us if snap is not None else monitor.attrs.aggr_us
    out = Text()
    for i, scheme in enumerate(schemes):
        if i:
            out.append("\n")
        owner = owners[i] if i < len(owners) else "user"
        _head(out, i, scheme, aggr_us, owner)
        st = stats[i] if i < len(stats) else None
        if st is not None:
            _stats_line(out, st)
        else:
            out.append("no statistics yet\n", style="dim")
        lv = live[i] if i < len(live) else LiveState()
        _quota_line(out, scheme, lv.esz, lv.charged_sz)
        _why_line(out, why_not(scheme, lv, regions, sample_us, aggr_us))
    return out


def _head(out: Text, i: int, scheme, aggr_us: int | None, owner: str = "user") -> None:
    out.append(f"#{i} {scheme.action}", style="bold")
    if owner != "user":
        out.append(f" ({owner})", style="cyan")
    body = describe(scheme, aggr_us).split(": ", 1)[1]
    out.append(f"  {body}\n", style="dim")


def _stats_line(out: Text, st) -> None:
    out.append(f"tried {st.nr_tried} ({format_size(st.sz_tried, 1)}) "
               f"applied {st.nr_applied} ({format_size(st.sz_applied, 1)}) "
               f"qt_exceeds {st.qt_exceeds}\n")


def _quota_line(out: Text, scheme, esz: int, charged: int) -> None:
    """Quota use of the current window; a scheme with a quota never reads "none"."""
    if not scheme.quota.is_set:
        return
    if esz:
        pct = min(100, charged * 100 // max(esz, 1))
        out.append(f"quota {format_size(charged, 1)} of {format_size(esz, 1)} ({pct}%) "
                   "this window\n")
    else:
        out.append("quota set, first window not started\n", style="dim")


def _why_line(out: Text, why: str) -> None:
    style = "green" if why.startswith("acting") else "yellow"
    out.append("why: " if not why.startswith("acting") else "", style="dim")
    out.append(why, style=style)


def render_recorded(replay, snap) -> Text:
    """The panel in replay: the record's schemes and the stats stored with the snapshot."""
    schemes = list(getattr(replay, "schemes", ()) or ())
    if not schemes:
        return Text("no schemes in this record", style="dim")
    stats = tuple(getattr(snap, "schemes", ()) or ()) if snap is not None else ()
    aggr_us = snap.aggr_us if snap is not None else None
    out = Text()
    out.append("recorded statistics", style="dim italic")
    for i, scheme in enumerate(schemes):
        out.append("\n")
        _head(out, i, scheme, aggr_us)
        st = stats[i] if i < len(stats) else None
        if st is None:
            out.append("no statistics stored with this snapshot", style="dim")
            continue
        _stats_line(out, st)
        if scheme.quota.is_set:
            out.append(f"quota effective {format_size(st.esz, 1)}" if st.esz
                       else "quota set, not yet effective")
        if scheme.watermarks.metric != "none":
            out.append(" · " if scheme.quota.is_set else "")
            out.append("active" if st.active else "inactive (watermarks)",
                       style="green" if st.active else "yellow")
    return out
