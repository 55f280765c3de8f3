"""The header: target, ops, intervals, regions, then time, speed, CPU, state, recording."""

from __future__ import annotations

from rich.text import Text

from damon_tui.tui.source import speed_label
from damon_tui.tui.view import MonitorView
from damon_tui.tui.widgets.text import TextBox
from damon_tui.units import format_size, format_time_us


def header_text(view: MonitorView, width: int = 200) -> Text:
    """Target, ops, intervals, regions, time, speed, CPU, state and recording."""
    line1 = Text()
    label = view.target_label
    line1.append(view.description if label is None else label, style="bold")
    if label is not None:
        line1.append(" (t)", style="dim")
    line1.append(f" · {view.ops_line}")
    mid = Text()
    a = view.attrs
    if a is not None:
        mid.append(view.intervals_line)
        if a.max_nr_regions:
            mid.append(f" · regions {view.nr_regions} "
                       f"({a.min_nr_regions}..{a.max_nr_regions})")
        else:
            mid.append(f" · regions {view.nr_regions}")
    else:
        mid.append(f"regions {view.nr_regions}")
    state = Text()
    snap = view.snapshot
    state.append(f"t {format_time_us(snap.end_us) if snap else '0'}")
    src = view.source
    if src is not None:
        if src.virtual:
            state.append(f" · speed {speed_label(src.speed)}")
        cpu = f"{src.cpu * 100:.0f}%" if src.cpu is not None else "-"
        state.append(f" · cpu {cpu} (damon-tui)")
        if src.ended:
            state.append(" · ended" + (f": {src.error}" if src.error else ""),
                         style="bold red" if src.error else "bold")
        elif src.paused:
            state.append(" · paused", style="bold yellow")
        else:
            state.append(" · running", style="green")
    rp = view.replay
    if rp is not None:
        st = "playing" if rp.playing else "paused"
        state.append(f" · snapshot {rp.pos + 1}/{rp.length} · {st} {speed_label(rp.speed)}")
    if view.recording is not None:
        path, size = view.recording
        state.append(f" · ● rec {path} {format_size(size, 1)}", style="bold red")
    elif view.live:
        state.append(" · rec off", style="dim")
    if width >= 120:
        lines = [line1 + Text(" · ") + mid, state]
    else:
        lines = [line1, mid, state]
    inner = max(width - 2, 10)  # inside the bar's padding
    for line in lines:  # cut here: the status line never wraps away
        line.truncate(inner, overflow="ellipsis")
    out = Text("\n").join(lines)
    out.no_wrap = True
    return out


class HeaderBar(TextBox):
    DEFAULT_CSS = """
    HeaderBar { height: 2; background: $panel; color: $text; padding: 0 1; }
    """

    def update(self, view: MonitorView) -> None:
        width = self.screen.size.width or 200
        height = 2 if width >= 120 else 3
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height
        self.set_text(header_text(view, width))
