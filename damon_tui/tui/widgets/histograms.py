"""The histogram panel: how much memory has been idle how long (recency), or how hot
it is (temperature) -- damo's ``recency-sz-hist`` / ``temperature-sz-hist`` of the
latest snapshot; ``h`` switches between the two."""

from __future__ import annotations

from rich.text import Text

from damon_tui.report.histograms import SzHistogram
from damon_tui.tui.view import MonitorView
from damon_tui.tui.widgets.text import TextBox, set_border
from damon_tui.units import format_size

KINDS = ("recency", "temperature")
TITLES = {"recency": "idle time: size (h)", "temperature": "temperature: size (h)"}


def histogram_text(h: SzHistogram | None, width: int) -> Text:
    """One line per bin: its range, total size and a bar scaled to the largest bin."""
    out = Text(no_wrap=True, overflow="crop")
    if h is None or not h.dist:
        out.append("waiting for the first snapshot", style="dim")
        return out
    bins = h.bins()
    ranges = [f"{_edge(h, b.lo)}..{_edge(h, b.hi)}" for b in bins]
    rw = max(len(r) for r in ranges)
    top = max((b.size for b in bins), default=0) or 1
    bar_w = max(width - rw - 11, 3)
    for i, (r, b) in enumerate(zip(ranges, bins, strict=True)):
        if i:
            out.append("\n")
        n = round(b.size / top * bar_w) if b.size else 0
        out.append(f"{r:>{rw}} {format_size(b.size, 1):>9} ",
                   style="" if b.size else "dim")
        out.append("█" * n, style="cyan")
    return out


def _edge(h: SzHistogram, v: int) -> str:
    """A short bin edge: a time for idle times, a signed number for temperatures."""
    if h.kind == "recency":
        if v >= 1_000_000:
            return f"{v / 1e6:.3g}s"
        return f"{v / 1000:.3g}ms" if v >= 1000 else f"{v}us"
    a = abs(v)
    for div, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{'-' if v < 0 else ''}{a / div:.3g}{unit}"
    return str(v)


class HistogramPanel(TextBox):
    DEFAULT_CSS = """
    HistogramPanel { height: auto; border: round $primary; }
    """

    #: columns inside the border (the screen sets it from the side column's width)
    inner_width = 32
    kind = "recency"
    _tallest = 0  # lines of the tallest histogram of this kind shown so far

    def on_mount(self) -> None:
        set_border(self, TITLES[self.kind])

    def toggle(self) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        set_border(self, TITLES[self.kind])
        self._tallest = 0

    def update(self, view: MonitorView) -> None:
        set_border(self, TITLES[self.kind])
        hists = dict(zip(KINDS, view.histograms, strict=False))
        h = hists.get(self.kind)
        if h is not None:
            set_border(self, subtitle=f"total {format_size(h.total_bytes, 1)}")
        text = histogram_text(h, self.inner_width)
        # the number of bins moves with the data: pad to the tallest seen so the panel
        # keeps its height (a layout pass of the whole screen costs a frame or two)
        lines = len(text.plain.splitlines())
        self._tallest = max(self._tallest, lines)
        if lines < self._tallest:
            text = text + Text("\n" * (self._tallest - lines))
        self.set_text(text, fit_height=True)
