"""The monitor screen: header, heatmap, side panels, replay timeline and its keys.

The screen lays the panels out (one side panel at a time on small terminals) and hands
each ``MonitorView`` to them; every key acts through the app (``DamonApp``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from damon_tui.tui.heatmap import Heatmap
from damon_tui.tui.models import SORT_KEYS, next_in
from damon_tui.tui.view import MonitorView
from damon_tui.tui.whatif_screen import WhatifScreen
from damon_tui.tui.widgets.header import HeaderBar
from damon_tui.tui.widgets.histograms import HistogramPanel
from damon_tui.tui.widgets.outcomes import OutcomesPanel
from damon_tui.tui.widgets.regions import RegionPanel
from damon_tui.tui.widgets.schemes import SchemesPanel
from damon_tui.tui.widgets.timeline import Timeline
from damon_tui.tui.widgets.wss import WssPanel

if TYPE_CHECKING:
    from damon_tui.tui.app import DamonApp

#: side panels are redrawn at most this often (the heatmap at every frame)
SIDE_PERIOD = 0.25
#: side panels: working set, regions, schemes, histogram, outcomes
SIDE_PANELS = 5
#: the header is redrawn at most this often between forced updates (keys, steps)
HEADER_PERIOD = 0.25


HELP_TEXT = """\
[b]damon-tui[/b]: DAMON's view of the target, live.

[b]Monitor[/b]
  space   pause / resume (replay: play)   n   one step while paused
  s       speed 1x, 10x, 100x, max        T   time per heatmap row (rebuilt)
  w       record on / off                 o   sort regions
  h       histogram: idle time (recency) or temperature, by size
  e       schemes editor                  p   presets (reclaim, lru_sort)
  g       target picker                   t   next target (if several)
  ?       this help                       q   quit
  tab     side panels: small screens show one at a time (working set,
          regions, schemes, histogram, outcomes, none); large ones show
          or hide them all (histogram and outcomes from 56 rows)
[b]Heatmap[/b]
  arrows  cursor: region, nr_accesses, age and size under it
  + - 0   zoom in / out around the cursor, reset
  r       next address range (default, 1..N, all)     a   all ranges
  c       colours: heat linear, heat log, damo's digits (gray, flame, emotion)
[b]Replay[/b]
  [ ]     one snapshot back / forward     { }  10 % back / forward
  home    first snapshot                  end  last snapshot

Rows are equal slices of time (T), newest at the bottom (a replay that fits
starts at the top); each character holds two rows, the older on top.  Columns
are addresses: every range when they fit, gaps shown as ┊ with their size.
A cell's heat is the byte-weighted mean access frequency over it, coloured on
the scale in the legend; damo's digits are 0 (idle) .. 9 (every sample).
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 84; max-width: 100%; height: auto; max-height: 100%;
                   border: thick $primary; background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP_TEXT)
        yield Footer()


class MonitorScreen(Screen):
    """Header, heatmap, working set, regions, schemes; keys in the footer."""

    if TYPE_CHECKING:  # the app this screen is pushed on (Textual types it App[Any])
        app: DamonApp

    BINDINGS = [
        Binding("space", "toggle_pause", "Pause", key_display="spc"),
        Binding("s", "speed", "Speed"),
        Binding("n", "step", "Step", show=False),
        Binding("T", "row_time", "Row time", show=False),
        Binding("o", "sort", "Sort", show=False),
        Binding("h", "histogram", "Histogram", show=False),
        Binding("w", "record", "Rec"),
        Binding("e", "schemes", "Schemes"),
        Binding("p", "presets", "Presets"),
        Binding("g", "targets", "Target"),
        Binding("y", "whatif", "What-if", show=False),
        Binding("t", "next_target", "Next tgt"),
        Binding("tab", "panel", "Panel", key_display="tab"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("left_square_bracket", "seek(-1)", "Back"),
        Binding("right_square_bracket", "seek(1)", "Fwd"),
        Binding("left_curly_bracket", "seek(-10)", "-10%", show=False),
        Binding("right_curly_bracket", "seek(10)", "+10%", show=False),
        Binding("home", "seek_to(0)", "First", show=False),
        Binding("end", "seek_to(-1)", "Last", show=False),
    ]

    _LIVE_ONLY = {"record", "schemes", "presets", "step"}
    _REPLAY_ONLY = {"seek", "seek_to", "whatif"}

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "next_target":  # listed only when there is another target
            return self.app.nr_targets > 1
        replay = self.app.session.replay is not None
        if replay and action in self._LIVE_ONLY:
            return False
        if not replay and action in self._REPLAY_ONLY:
            return False
        return True

    DEFAULT_CSS = """
    #body { height: 1fr; }
    #side { width: 44; overflow: hidden hidden; }
    #heatmap { width: 1fr; }
    """

    #: side panels; in compact layouts ``tab`` shows one at a time (or none)
    PANELS = ("wss", "regionpanel", "schemes", "histograms", "outcomes", None)
    #: panels a non-compact side column shows only when the screen is this tall
    TALL_ONLY = {"histograms": 56, "outcomes": 56}
    panel = 0
    side_hidden = False

    _last_side = 0.0
    _last_header = 0.0
    _next_side = -1  # the side panel updated last (they take turns)
    _bound_targets = 1

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        with Horizontal(id="body"):
            yield Heatmap(None, id="heatmap")
            with Vertical(id="side"):
                yield WssPanel(id="wss")
                yield RegionPanel(id="regionpanel")
                yield SchemesPanel(id="schemes")
                yield HistogramPanel(id="histograms")
                yield OutcomesPanel(id="outcomes")
        timeline = Timeline(id="timeline")
        timeline.display = self.app.session.replay is not None
        yield timeline
        yield Footer(compact=True)

    def on_heatmap_slots_changed(self, msg: Heatmap.SlotsChanged) -> None:
        self.app.refit_heat_slots(msg.slots)

    def on_mount(self) -> None:
        self.query_one(Heatmap).focus()
        self._apply_width()

    def on_resize(self) -> None:
        self._apply_width()

    @property
    def compact(self) -> bool:
        """Too small for all side panels at once: one at a time (``tab``)."""
        return self.size.width < 120 or self.size.height < 36

    @property
    def side_width(self) -> int:
        w = self.size.width
        return 60 if w >= 160 else (44 if w >= 120 else 34)

    def _apply_width(self) -> None:
        w = self.size.width
        self.set_class(w < 120, "-narrow")
        compact = self.compact
        self.set_class(compact, "-compact")
        side = self.query_one("#side")
        side.styles.width = self.side_width
        inner = self.side_width - 2  # inside the panels' borders
        self.query_one(WssPanel).inner_width = inner
        self.query_one(HistogramPanel).inner_width = inner
        self.query_one(OutcomesPanel).inner_width = inner
        regions = self.query_one(RegionPanel)
        regions.inner_width = inner
        regions.limit = 10  # a 13-line panel; in compact layouts it fills the side column
        if compact:
            regions.limit = max(self.size.height - (3 if w < 120 else 2) - 5, 1)
        self.query_one("#wss-spark").styles.height = "1fr" if compact else None
        if compact:
            shown = self.PANELS[self.panel]
            side.display = shown is not None
            for name in self.PANELS[:-1]:
                panel = self.query_one(f"#{name}")
                panel.display = name == shown
                panel.styles.height = "1fr"
        else:
            side.display = not self.side_hidden
            for name in self.PANELS[:-1]:
                panel = self.query_one(f"#{name}")
                panel.display = self.size.height >= self.TALL_ONLY.get(name, 0)
                panel.styles.height = None  # back to the panel's own CSS
        self.app.refresh_views(force=True)

    # -- drawing ------------------------------------------------------------------
    def _on_timer_update(self) -> None:
        """Textual's compositor frame, with the engine's worker held off meanwhile (it
        would take the GIL back every switch interval and stretch the frame)."""
        with self.app.drawing():
            super()._on_timer_update()

    def show(self, view: MonitorView, force: bool = False) -> bool:
        """Hand ``view`` to the panels; False when the screen cannot draw (yet or any more)."""
        if not self.is_mounted:
            return False
        try:
            return self._show(view, force)
        except NoMatches:  # mounting or being torn down (a view racing the app's exit)
            return False

    def _show(self, view: MonitorView, force: bool) -> bool:
        hm = self.query_one(Heatmap)
        whole = hm.update(view)
        if view.nr_targets != self._bound_targets:
            self._bound_targets = view.nr_targets
            self.refresh_bindings()  # show ``t`` once a second target appears
        now = time.perf_counter()
        if force or now - self._last_header >= HEADER_PERIOD:
            # the time and CPU figures: a few times a second is readable, and a frame
            # that repaints only the heatmap's newest lines composes only those
            self._last_header = now
            self.query_one(HeaderBar).update(view)
        timeline = self.query_one(Timeline)
        timeline.display = view.replay is not None
        timeline.update(view)
        if force:
            self._last_side = now
            for update in self._side_updates():
                update(view)
        elif now - self._last_side > SIDE_PERIOD / SIDE_PANELS and (
                not whole or now - self._last_side > SIDE_PERIOD):
            # one panel per frame, in turn (each is redrawn every SIDE_PERIOD), and not
            # in a frame that repaints the whole heatmap unless overdue: no frame pays
            # for all five panels and a heatmap scroll together (20-50 ms of Textual)
            self._last_side = now
            self._next_side = (self._next_side + 1) % SIDE_PANELS
            self._side_updates()[self._next_side](view)
        return True

    def _side_updates(self) -> tuple[Callable[[MonitorView], None], ...]:
        """The side panels' ``update`` methods, in the order they take turns."""
        return (self.query_one(WssPanel).update, self.query_one(RegionPanel).update,
                self.query_one(SchemesPanel).update, self.query_one(HistogramPanel).update,
                self.query_one(OutcomesPanel).update)

    def show_header(self, view: MonitorView) -> None:
        """Only the header (CPU and speed figures move between snapshots)."""
        if self.is_mounted:
            try:
                self.query_one(HeaderBar).update(view)
            except NoMatches:  # mounting or being torn down
                pass

    def reset_target_view(self) -> None:
        """A new target is shown: the heatmap's range, zoom and cursor start over."""
        hm = self.query_one(Heatmap)
        hm.range_sel = None
        hm.zoom, hm.zoom_center = 1.0, None
        hm.cursor_col, hm.cursor_row = None, 0
        self.query_one(RegionPanel).reset()

    def action_panel(self) -> None:
        if self.compact:
            self.panel = (self.panel + 1) % len(self.PANELS)
        else:
            self.side_hidden = not self.side_hidden
        self._apply_width()

    # -- actions (delegated to the app) --------------------------------------------
    def action_toggle_pause(self) -> None:
        self.app.toggle_pause()

    def action_speed(self) -> None:
        self.app.cycle_speed()

    def action_step(self) -> None:
        self.app.step(1)

    def action_row_time(self) -> None:
        self.app.cycle_row_time()

    def action_sort(self) -> None:
        self.app.region_sort = next_in(SORT_KEYS, self.app.region_sort)
        self.app.refresh_views(force=True)

    def action_histogram(self) -> None:
        """Switch the histogram panel between idle time and temperature."""
        self.query_one(HistogramPanel).toggle()
        self.app.refresh_views(force=True)

    def action_record(self) -> None:
        self.app.toggle_record()

    def action_schemes(self) -> None:
        self.app.open_schemes()

    def action_presets(self) -> None:
        self.app.open_presets()

    def action_targets(self) -> None:
        self.app.open_targets()

    def action_next_target(self) -> None:
        self.app.cycle_target()

    def action_whatif(self) -> None:
        app = self.app
        if app.replay is not None:
            app.push_screen(WhatifScreen(app.replay.record, app.target_idx))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_seek(self, delta: int) -> None:
        app = self.app
        if app.replay is None:
            return
        n = len(app.replay)
        step = delta if abs(delta) == 1 else max(1, n * abs(delta) // 100) * (delta // abs(delta))
        app.seek(app.replay_pos + step)

    def action_seek_to(self, pos: int) -> None:
        app = self.app
        if app.replay is not None:
            app.seek(pos if pos >= 0 else len(app.replay) - 1)

    async def action_quit(self) -> None:
        await self.app.action_quit()


