"""The monitor screen's schemes panel: per-scheme stats, quota use, watermark state."""

from __future__ import annotations

from rich.text import Text


def render(app, snap) -> Text:
    """Text for the schemes panel from the latest snapshot's per-scheme stats."""
    try:
        import damon_tui.damos  # noqa: F401
    except ImportError as e:
        return Text(f"not available: DAMOS is not installed ({e})", style="dim")
    stats = tuple(getattr(snap, "schemes", ()) or ()) if snap is not None else ()
    if not stats:
        return Text("no schemes: press e to add one, p for presets", style="dim")
    out = Text()
    for i, st in enumerate(stats):
        if i:
            out.append("\n")
        out.append(f"#{i} {st!r}")
    return out
