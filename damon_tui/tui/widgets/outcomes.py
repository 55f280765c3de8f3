"""The outcomes panel: RSS, bytes reclaimed per second, refaults per second and free
memory over time, as sparklines (only what the operations set knows)."""

from __future__ import annotations

from rich.text import Text

from damon_tui.tui.outcomes import Series, spark
from damon_tui.tui.view import MonitorView
from damon_tui.tui.widgets.text import TextBox, set_border
from damon_tui.units import format_size


def latest(s: Series) -> str:
    v = s.values[-1]
    if s.unit == "bytes":
        return format_size(v, 1)
    if s.unit == "bytes/s":
        return f"{format_size(v, 1)}/s"
    if s.unit == "permil":
        return f"{v / 10:.1f}%"
    return f"{v:.3g}/s" if v < 1000 else f"{v / 1000:.3g}k/s"


def outcomes_text(view, width: int) -> Text:
    out = Text(no_wrap=True, overflow="crop")
    if view is None:
        out.append("live targets only: records do not store them", style="dim")
        return out
    if not view:
        out.append("waiting for the first snapshot", style="dim")
        return out
    name_w = 18 if width >= 44 else 9
    spark_w = max(width - name_w - 11 - 2, 4)
    for i, s in enumerate(view.series):
        if i:
            out.append("\n")
        name = s.name + (f" ({s.note})" if s.note and name_w > 9 else "")
        value = latest(s)
        out.append(f"{name:<{name_w}.{name_w}} {value:>11} ", style="bold")
        top = 1000 if s.unit == "permil" else None  # free memory: out of 100 %
        out.append(spark(s.values, spark_w, top), style="cyan")
    return out


class OutcomesPanel(TextBox):
    DEFAULT_CSS = """
    OutcomesPanel { height: auto; border: round $primary; }
    """

    inner_width = 32

    def on_mount(self) -> None:
        set_border(self, "outcomes")

    def update(self, view: MonitorView) -> None:
        self.set_text(outcomes_text(view.outcomes, self.inner_width), fit_height=True)
