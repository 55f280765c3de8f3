"""The what-if screen: a DAMOS sweep replayed on the record being replayed, as a curve.

``parse_spec`` and ``curve_lines`` are pure (unit-tested without Textual); the screen
runs the sweep in a worker thread and draws the table and the saved-vs-slowdown curve.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from damon_tui.errors import UserError
from damon_tui.ops.recorded import MODEL_NOTE
from damon_tui.options.whatif import DEFAULT_SPEC, parse_spec, sweep_configs
from damon_tui.report.tradeoff import off_notes, table_lines
from damon_tui.units import format_size
from damon_tui.whatif import Baseline, record_attrs, run_whatif


def curve_lines(rows, width: int = 60, height: int = 12) -> list[str]:
    """Saved (y) against slowdown (x) as text: one labelled mark per row."""
    if not rows:
        return ["(no rows)"]
    xs = [r.slowdown * 100 for r in rows]
    ys = [r.saved_avg for r in rows]
    xmax = max(max(xs), 1e-3)
    ymin, ymax = min(0.0, min(ys)), max(max(ys), 1.0)
    grid = [[" "] * width for _ in range(height)]
    marks = "123456789abcdefghijklmnopqrstuvwxyz"
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        c = min(width - 1, int(x / xmax * (width - 1)))
        r = height - 1 - min(height - 1, int((y - ymin) / (ymax - ymin) * (height - 1)))
        grid[r][c] = marks[i % len(marks)]
    label_w = 11
    out = []
    for r, line in enumerate(grid):
        y = ymax - (ymax - ymin) * r / (height - 1)
        label = format_size(y) if r in (0, height - 1) else ""
        out.append(f"{label:>{label_w}} |{''.join(line)}")
    out.append(" " * label_w + " +" + "-" * width)
    out.append(" " * label_w + f"  0%{'slowdown':^{width - 12}}{xmax:.3f}%")
    out.extend(f"  {marks[i % len(marks)]} = {r.label}" for i, r in enumerate(rows))
    return out


class _Cancelled(Exception):
    pass


class WhatifScreen(Screen):
    """The sweep's table and trade-off curve for the replayed record."""

    BINDINGS = [Binding("escape", "dismiss", "Close")]
    DEFAULT_CSS = """
    WhatifScreen > Vertical { padding: 0 1; }
    WhatifScreen #whatif-curve { height: auto; }
    """

    def __init__(self, record, target: int = 0, spec: str = DEFAULT_SPEC) -> None:
        super().__init__()
        self.record = record
        self.target = target
        self.spec = spec
        self.rows: list = []
        self.base: Baseline | None = None
        self.error: str | None = None
        self._cancel = threading.Event()
        self._done = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"what-if on {self.record.path} (target {self.target}) · "
                              f"{MODEL_NOTE}"), id="whatif-title")
            yield Input(value=self.spec, id="whatif-spec",
                        placeholder="reclaim|lru_sort NAME=V1,V2,... [NAME=VALUE]")
            yield Static("", id="whatif-status")
            yield Static("", id="whatif-table")
            yield Static("", id="whatif-curve")
        yield Footer()

    def on_mount(self) -> None:
        self.start(self.spec)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.start(event.value)

    def start(self, spec: str) -> None:
        """Validate ``spec`` and run its sweep in a worker thread."""
        self._cancel.set()
        self.spec = spec
        self.rows, self.base, self.error = [], None, None
        try:
            ns = parse_spec(spec)
            configs = sweep_configs(ns, record_attrs(self.record, self.target))
        except UserError as e:
            self.error = str(e)
            self._show(str(e), error=True)
            return
        self._cancel = cancel = threading.Event()
        self._done.clear()
        self._show(f"replaying {len(configs)} configuration(s)...")
        threading.Thread(target=self._work, args=(configs, ns.mem_total, cancel), daemon=True,
                         name="whatif").start()

    def _work(self, configs, mem_total: int | None, cancel: threading.Event) -> None:
        def progress(done: int, total: int) -> None:
            if cancel.is_set():
                raise _Cancelled()
            self._post(f"replaying {len(configs)} configuration(s): "
                       f"{100 * done // max(total, 1)}%")
        try:
            base, rows = run_whatif(self.record, configs, self.target, 0, progress,
                                    mem_total=mem_total)
        except _Cancelled:
            return
        except UserError as e:
            self.error = str(e)
            self._post(str(e), error=True)
            self._done.set()
            return
        if cancel.is_set():
            return
        self.base, self.rows = base, rows
        try:
            self.app.call_from_thread(self._draw)
        except RuntimeError:  # the app is gone
            pass
        self._done.set()

    def _post(self, text: str, error: bool = False) -> None:
        try:
            self.app.call_from_thread(self._show, text, error)
        except RuntimeError:
            pass

    def _show(self, text: str, error: bool = False) -> None:
        self.query_one("#whatif-status", Static).update(Text(text, style="red" if error
                                                             else ""))

    def _draw(self) -> None:
        base = self.base
        assert base is not None  # drawn once a sweep finished
        lines = (table_lines(base, self.rows, wide=False)
                 + off_notes(base, self.rows, "mem_total={}"))
        self._show(f"baseline avg rss {format_size(base.avg_rss)}, peak "
                   f"{format_size(base.peak_rss)} · Enter re-runs the sweep")
        self.query_one("#whatif-table", Static).update(Text("\n".join(lines)))
        self.query_one("#whatif-curve", Static).update(Text(
            "memory saved vs modelled slowdown\n" + "\n".join(curve_lines(self.rows))))

    def on_unmount(self) -> None:
        self._cancel.set()

    async def action_dismiss(self, result: None = None) -> None:
        self._cancel.set()
        self.app.pop_screen()
