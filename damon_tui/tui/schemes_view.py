"""The monitor screen's schemes panel: per-scheme stats, quota use, watermark state."""

from __future__ import annotations

from rich.text import Text

from damon_tui.units import format_size


def render(app, snap) -> Text:
    """Text for the schemes panel from the latest snapshot and the running schemes."""
    try:
        from damon_tui.damos.io import format_one_line
        from damon_tui.tui import damos_bridge
    except ImportError as e:
        return Text(f"not available: DAMOS is not installed ({e})", style="dim")
    session = app.session
    if getattr(app, "replay", None) is not None:
        return render_recorded(app.replay, snap, format_one_line)
    monitor = session.monitor
    schemes = list(getattr(monitor, "schemes", ()) or ()) if monitor is not None else []
    if not schemes:
        return Text("no schemes: e edits, p presets", style="dim")
    owners = damos_bridge.scheme_owners(app)
    stats = tuple(getattr(snap, "schemes", ()) or ()) if snap is not None else ()
    live = damos_bridge.live_state(session.monitor) if session.monitor is not None else []
    out = Text()
    for i, scheme in enumerate(schemes):
        if i:
            out.append("\n")
        owner = owners[i] if i < len(owners) else "user"
        out.append(f"#{i} {scheme.action}", style="bold")
        if owner != "user":
            out.append(f" ({owner})", style="cyan")
        out.append(f"  {format_one_line(scheme)}\n", style="dim")
        st = stats[i] if i < len(stats) else None
        if st is not None:
            _stats_line(out, st)
        else:
            out.append("no statistics yet\n", style="dim")
        lv = live[i] if i < len(live) else None
        if lv is not None:
            if lv.quota_set and lv.esz:
                pct = min(100, lv.charged_sz * 100 // max(lv.esz, 1))
                out.append(f"quota {format_size(lv.charged_sz, 1)}/{format_size(lv.esz, 1)}"
                           f" ({pct}%)")
            else:
                out.append("quota none", style="dim")
            wm = scheme.watermarks
            if wm.metric == "none":
                out.append(" · watermarks none", style="dim")
            else:
                metric = "-" if lv.metric is None else f"{lv.metric}‰"
                out.append(" · ")
                out.append("active" if lv.active else "inactive",
                           style="green" if lv.active else "yellow")
                out.append(f" free {metric} ({wm.low}/{wm.mid}/{wm.high})")
    return out


def _stats_line(out: Text, st) -> None:
    out.append(f"tried {st.nr_tried} ({format_size(st.sz_tried, 1)}) "
               f"applied {st.nr_applied} ({format_size(st.sz_applied, 1)}) "
               f"qt_exceeds {st.qt_exceeds}\n")


def render_recorded(replay, snap, format_one_line) -> Text:
    """The panel in replay: the record's schemes and the stats stored with the snapshot."""
    schemes = list(getattr(replay, "schemes", ()) or ())
    if not schemes:
        return Text("no schemes in this record", style="dim")
    stats = tuple(getattr(snap, "schemes", ()) or ()) if snap is not None else ()
    out = Text()
    out.append("recorded statistics", style="dim italic")
    for i, scheme in enumerate(schemes):
        out.append("\n")
        out.append(f"#{i} {scheme.action}", style="bold")
        out.append(f"  {format_one_line(scheme)}\n", style="dim")
        st = stats[i] if i < len(stats) else None
        if st is None:
            out.append("no statistics stored with this snapshot", style="dim")
            continue
        _stats_line(out, st)
        if st.esz:
            out.append(f"quota effective {format_size(st.esz, 1)}")
        else:
            out.append("quota none", style="dim")
        if scheme.watermarks.metric == "none":
            out.append(" · watermarks none", style="dim")
        else:
            out.append(" · ")
            out.append("active" if st.active else "inactive",
                       style="green" if st.active else "yellow")
    return out
