"""The Textual app: a monitor screen fed by a worker thread, plus editor screens.

The engine never runs on the UI thread: ``LiveSource`` pulls snapshots in a daemon
thread, feeds the pure models (``Feed``) there and posts one coalesced
``SnapshotsReady`` message; the UI repaints from the models at most ``FPS`` times a
second.  Tests construct the app with ``autostart=False`` and call ``step()``.
"""

from __future__ import annotations

import threading
import time

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, Sparkline, Static

from damon_tui.errors import UserError
from damon_tui.tui.heatmap import Heatmap
from damon_tui.tui.models import SORT_KEYS, Feed, next_in, region_rows, wss_bars
from damon_tui.tui.session import Session
from damon_tui.tui.source import SPEEDS, LiveSource, speed_label
from damon_tui.units import format_size, format_time_us

FPS = 15
#: snapshots per heatmap row suggested for each speed (rows scroll at a readable pace)
ROWS_FOR_SPEED = {1.0: 1, 10.0: 5, 100.0: 20, 0.0: 50}


def compact_size(n: int) -> str:
    """``18.4M``-style sizes for narrow columns."""
    for unit, div in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= div:
            v = n / div
            return f"{v:.0f}{unit}" if v >= 100 else f"{v:.1f}{unit}"
    return f"{n}B"


class SnapshotsReady(Message):
    """The worker fed new snapshots into the models (coalesced)."""


class TextBox(Widget):
    """A fixed-size text widget: changing its text repaints it without a layout pass."""

    DEFAULT_CSS = """
    TextBox { height: 1; }
    """

    def __init__(self, text: Text | str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._text = Text(text) if isinstance(text, str) else text
        self._lines = 1

    def set_text(self, text: Text | str, fit_height: bool = False) -> None:
        """Show ``text``; ``fit_height`` resizes to its line count (a layout only then)."""
        text = Text(text) if isinstance(text, str) else text
        if text == self._text:
            return
        self._text = text
        if fit_height:  # for ``height: auto`` boxes: a layout pass only when lines change
            width = self.content_size.width
            if width > 0 and self.is_mounted:
                lines = len(text.wrap(self.app.console, width)) or 1
            else:
                lines = len(text.plain.splitlines()) or 1
            if lines != self._lines:
                self._lines = lines
                self.refresh(layout=True)
                return
        self.refresh()

    @property
    def text(self) -> Text:
        return self._text

    def render(self) -> Text:
        return self._text


class HeaderBar(TextBox):
    DEFAULT_CSS = """
    HeaderBar { height: 2; background: $panel; color: $text; padding: 0 1; }
    """


class WssPanel(Vertical):
    DEFAULT_CSS = """
    WssPanel { height: auto; border: round $primary; border-title-align: left; }
    WssPanel > #wss-now { height: 1; }
    WssPanel > Sparkline { height: 3; margin: 0 0; }
    WssPanel > #wss-pct { height: 5; }
    """

    def compose(self) -> ComposeResult:
        yield TextBox(id="wss-now")
        yield Sparkline([], id="wss-spark")
        yield TextBox(id="wss-pct")

    def on_mount(self) -> None:
        self.border_title = "working set"


class RegionPanel(Vertical):
    DEFAULT_CSS = """
    RegionPanel { height: 13; border: round $primary; }
    RegionPanel > #regions { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield TextBox(id="regions")

    def on_mount(self) -> None:
        self.border_title = "regions: hottest"


def region_table(rows: list, nr_samples: int, aggr_us: int, width: int) -> Text:
    """The region table as fixed columns that fit ``width`` (>= 32) cells."""
    wide = width >= 46
    head = f"{'start':<14} {'size':>6} {'acc':>5} {'age':>4}"
    if wide:
        head += f" {'age time':>10}"
    out = Text(head, style="bold", no_wrap=True, overflow="crop")
    for s, e, nr, age in rows:
        line = f"{s:#x}"[:14].ljust(14) + f" {compact_size(e - s):>6} {nr:>2}/{nr_samples:<2}"
        line += f" {age:>4}"
        if wide:
            line += f" {format_time_us(age * aggr_us):>10}"
        out.append("\n")
        out.append(line, style="bold" if nr else "")
    return out


class SchemesPanel(TextBox):
    DEFAULT_CSS = """
    SchemesPanel { height: auto; border: round $primary; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.border_title = "schemes"


HELP_TEXT = """\
[b]damon-tui[/b]: DAMON's view of the target, live.

[b]Monitor[/b]
  space   pause / resume (replay: play)   n   one step while paused
  s       speed 1x, 10x, 100x, max        T   time per heatmap row
  w       record on / off                 o   sort regions
  e       schemes editor                  p   presets (reclaim, lru_sort)
  g       target picker                   t   next target (if several)
  ?       this help                       q   quit
  tab     side panels: small screens show one at a time (working set,
          regions, schemes, none); large ones show or hide them all
[b]Heatmap[/b]
  arrows  cursor: region, nr_accesses, age and size under it
  + - 0   zoom in / out around the cursor, reset
  r       next address range (hottest, 1..N, all)     a   all ranges
  c       colour set (gray, flame, emotion)
[b]Replay[/b]
  [ ]     one snapshot back / forward     { }  10 % back / forward
  home    first snapshot                  end  last snapshot

Rows are aggregation intervals (or groups of them), newest at the bottom;
columns are addresses.  A cell's digit is damo's: the byte-weighted mean of
nr_accesses over the cell, 0 (idle) .. 9 (accessed at every sample).
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

    BINDINGS = [
        Binding("space", "toggle_pause", "Pause", key_display="spc"),
        Binding("s", "speed", "Speed"),
        Binding("n", "step", "Step", show=False),
        Binding("T", "row_time", "Row time", show=False),
        Binding("o", "sort", "Sort", show=False),
        Binding("w", "record", "Rec"),
        Binding("e", "schemes", "Schemes"),
        Binding("p", "presets", "Presets"),
        Binding("g", "targets", "Target"),
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

    _LIVE_ONLY = {"speed", "record", "schemes", "presets", "step"}
    _REPLAY_ONLY = {"seek", "seek_to"}

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
    #timeline { height: 1; background: $panel; padding: 0 1; }
    #body { height: 1fr; }
    #side { width: 44; overflow: hidden hidden; }
    #heatmap { width: 1fr; }
    """

    #: side panels; in compact layouts ``tab`` shows one at a time (or none)
    PANELS = ("wss", "regionpanel", "schemes", None)
    panel = 0
    side_hidden = False

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header")
        with Horizontal(id="body"):
            yield Heatmap(self.app.feed_heatmap(), id="heatmap")
            with Vertical(id="side"):
                yield WssPanel(id="wss")
                yield RegionPanel(id="regionpanel")
                yield SchemesPanel(id="schemes")
        timeline = TextBox(id="timeline")
        timeline.display = self.app.session.replay is not None
        yield timeline
        yield Footer(compact=True)

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
        self.query_one("#wss-spark").styles.height = "1fr" if compact else None
        if compact:
            shown = self.PANELS[self.panel]
            side.display = shown is not None
            for name in self.PANELS[:-1]:
                w = self.query_one(f"#{name}")
                w.display = name == shown
                w.styles.height = "1fr"
        else:
            side.display = not self.side_hidden
            for name in self.PANELS[:-1]:
                w = self.query_one(f"#{name}")
                w.display = True
                w.styles.height = None  # back to the panel's own CSS
        self.app.refresh_views(force=True)

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


class DamonApp(App):
    """damon-tui's Textual application."""

    TITLE = "damon-tui"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    Screen { layers: base; }
    """

    def __init__(self, session: Session, *, speed: float = 1.0, autostart: bool = True,
                 record_path: str | None = None, fine_bins: int = 2048,
                 max_rows: int = 600, pid_provider=None, target_entries=None) -> None:
        super().__init__()
        #: what the target picker lists (workloads, paddr, live processes); tests and
        #: screenshots inject a fixed list so they do not depend on the machine
        self.target_entries = target_entries
        #: what the presets show as kdamond_pid: the engine thread's native id by
        #: default; tests and screenshots inject a fixed one
        self.pid_provider = pid_provider or self.engine_thread_id
        self.session = session
        self.speed = speed
        self.autostart = autostart
        self.record_path = record_path
        self.feed = Feed(fine_bins=fine_bins, max_rows=max_rows,
                         snapshots_per_row=ROWS_FOR_SPEED.get(speed, 1))
        self.region_sort = "hottest"
        self.target_idx = 0
        self.source: LiveSource | None = None
        self.recorder = None
        self.status_note = ""
        self._notified = False
        self._drawn_generation = -1
        self._last_side = 0.0
        self.frame_times: list[float] = []  # seconds per full refresh (bench)
        self._table_rows: list = []
        self.profiles_dir: str | None = None  # presets' profile directory (None: default)
        self.replay = session.replay
        self.replay_pos = -1
        self.replay_playing = False
        self.modules: dict = {}
        if session.live:
            try:
                from damon_tui.tui.presets_screen import make_modules

                self.modules = make_modules(self)
            except ImportError:
                self.modules = {}
        self._make_source()

    # -- source -------------------------------------------------------------------
    def _make_source(self) -> None:
        s = self.session
        if s.live:
            self.source = LiveSource(s.monitor, self._on_snapshot_thread, speed=self.speed)

    def _on_snapshot_thread(self, snap) -> None:
        """Called in the worker thread (or the test's thread) for every snapshot."""
        self.feed.add(snap)
        rec = self.recorder
        if rec is not None and snap is not None:
            rec.write(snap)
        if not self._notified:
            self._notified = True
            try:
                self.post_message(SnapshotsReady())
            except Exception:
                self._notified = False

    def engine_thread_id(self) -> int:
        """Native id of the thread running the monitor (this one when stepping)."""
        src = self.source
        thread = src._thread if src is not None else None
        if thread is not None and thread.native_id is not None and thread.is_alive():
            return thread.native_id
        return threading.get_native_id()

    def feed_heatmap(self):
        return None

    def on_mount(self) -> None:
        self._preload()
        self.push_screen(MonitorScreen())
        start = getattr(self.session, "start_preset", None)
        if start is not None:
            from damon_tui.tui.presets_screen import enable_from_args

            try:
                enable_from_args(self, *start)
            except UserError as e:
                self.notify(f"preset not enabled: {e}", severity="error")
        for note in self.session.notes:
            self.notify(note, severity="warning")
        if self.replay is not None:
            self.seek(len(self.replay) - 1, background=False)
        self.set_interval(1 / FPS, self._tick)
        if self.source is not None and self.autostart:
            self.source.start()
        self.call_after_refresh(self.refresh_views, True)
        self.call_after_refresh(self._freeze_gc)

    @staticmethod
    def _freeze_gc() -> None:
        """Move start-up objects (Textual, rich, the models' code) out of the GC's reach.

        A full collection walks every tracked object with the GIL held, stalling the UI
        for 50-80 ms every few seconds; after ``gc.freeze()`` it walks only what was
        made since, and a higher first threshold makes collections rarer.
        """
        import gc

        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)

    @staticmethod
    def _preload() -> None:
        """Import what the panels need now, not in the middle of a frame (one-time)."""
        import importlib

        for name in ("damon_tui.tui.schemes_view", "damon_tui.damos.io",
                     "damon_tui.tui.damos_bridge", "damon_tui.tui.recording"):
            try:
                importlib.import_module(name)
            except ImportError:
                pass

    def on_unmount(self) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        if self.source is not None:
            self.source.stop()
        if self.recorder is not None:
            self.stop_recording()

    def on_snapshots_ready(self, _msg: SnapshotsReady) -> None:
        self._notified = False

    def _tick(self) -> None:
        if self.replay is not None and self.replay_playing:
            if self.replay_pos >= len(self.replay) - 1:
                self.replay_playing = False
            else:
                step = max(1, int(self.speed or 100))
                self.seek(min(self.replay_pos + step, len(self.replay) - 1))
        self.refresh_views()

    # -- replay -------------------------------------------------------------------
    def seek(self, pos: int, background: bool = True) -> None:
        """Show the record at snapshot ``pos`` (models hold the snapshots before it)."""
        rp = self.replay
        if rp is None or not len(rp):
            return
        pos = max(0, min(pos, len(rp) - 1))
        if pos == self.replay_pos:
            return
        old = self.replay_pos
        self.replay_pos = pos
        if old >= 0 and old < pos <= old + 20:  # a few steps forward: feed incrementally
            for i in range(old + 1, pos + 1):
                self.feed.add(rp.snapshot(i))
        elif background:
            self.run_worker(lambda: self._rebuild(pos), thread=True, exclusive=True,
                            group="replay")
        else:
            self._rebuild(pos)
        self.refresh_views(force=True)

    def _rebuild(self, pos: int) -> None:
        from damon_tui.tui.replay import SEEK_WINDOW

        rp = self.replay
        self.feed.reset()
        for i in range(max(0, pos - SEEK_WINDOW + 1), pos + 1):
            if self.replay_pos != pos:  # a newer seek superseded this one
                return
            self.feed.add(rp.snapshot(i))
        if threading.current_thread() is not threading.main_thread():
            self.call_from_thread(self.refresh_views, True)

    def replay_status(self) -> str | None:
        rp = self.replay
        if rp is None:
            return None
        state = "playing" if self.replay_playing else "paused"
        return f" · snapshot {self.replay_pos + 1}/{len(rp)} · {state}"

    # -- controls -----------------------------------------------------------------
    def step(self, n: int = 1) -> int:
        """Pull ``n`` snapshots now (deterministic; only while paused / not started)."""
        if self.source is None:
            return 0
        if self.source._thread is not None and not self.source.paused:
            return 0
        got = len(self.source.step(n))
        self.refresh_views(force=True)
        return got

    def toggle_pause(self) -> None:
        if self.replay is not None:
            if not self.replay_playing and self.replay_pos >= len(self.replay) - 1:
                self.seek(0)
            self.replay_playing = not self.replay_playing
            self.refresh_views(force=True)
            return
        src = self.source
        if src is None:
            return
        if src._thread is None:
            src.start()
        elif src.paused:
            src.resume()
        else:
            src.pause()
        self.refresh_views(force=True)

    @property
    def paused(self) -> bool:
        src = self.source
        return src is None or src._thread is None or src.paused

    def cycle_speed(self) -> None:
        src = self.source
        if src is None:
            return
        if not src.virtual:
            self.notify("speed applies to simulated workloads; this target runs in real time",
                        severity="warning")
            return
        self.speed = next_in(list(SPEEDS), src.speed)
        src.set_speed(self.speed)
        self.feed.set_snapshots_per_row(ROWS_FOR_SPEED.get(self.speed, 1))
        self.refresh_views(force=True)

    def cycle_row_time(self) -> None:
        n = next_in([1, 2, 5, 10, 20, 50, 100], self.feed.snapshots_per_row)
        self.feed.set_snapshots_per_row(n)
        self.refresh_views(force=True)

    def toggle_record(self) -> None:
        from damon_tui.tui import recording

        if self.recorder is not None:
            self.stop_recording()
            return
        try:
            self.recorder = recording.start(self.session, self.record_path)
        except recording.NotAvailable as e:
            self.notify(f"not available: {e}", severity="warning")
            return
        self.notify(f"recording to {self.recorder.path}")
        self.refresh_views(force=True)

    def stop_recording(self) -> None:
        rec, self.recorder = self.recorder, None
        if rec is not None:
            rec.close()
            self.notify(f"recorded {rec.snapshots} snapshots to {rec.path} "
                        f"({format_size(rec.size, 1)})")
        self.refresh_views(force=True)

    def open_schemes(self) -> None:
        from damon_tui.tui import schemes_screen

        schemes_screen.open_screen(self)

    def open_presets(self) -> None:
        from damon_tui.tui import presets_screen

        presets_screen.open_screen(self)

    def switch_target(self, ops) -> None:
        """Monitor another target: a new session with the current attributes."""
        from damon_tui.tui.session import live_session

        attrs = self.session.attrs if self.session.live else None
        if self.recorder is not None:
            self.stop_recording()
        if self.source is not None:
            self.source.stop()
        self.session = live_session(ops, attrs, seed=self.session.seed)
        self.replay = None
        self.feed.reset()
        self._table_rows = []
        for mod in self.modules.values():
            mod.running = mod.running_inputs = None
        self._make_source()
        self.source.start()
        screen = next((s for s in self.screen_stack if isinstance(s, MonitorScreen)), None)
        if screen is not None:
            screen.query_one("#timeline").display = False
        self.refresh_views(force=True)
        self.notify(f"monitoring {self.session.description}")

    @property
    def nr_targets(self) -> int:
        """Targets of the session (as many as the snapshots carry, once they come)."""
        return max(len(self.feed.heatmaps), len(self.session.target_names), 1)

    def cycle_target(self) -> None:
        """Show the next monitoring target (heatmap, working set, regions)."""
        n = self.nr_targets
        if n <= 1:
            return
        self.target_idx = (self.target_idx + 1) % n
        screen = next((s for s in self.screen_stack if isinstance(s, MonitorScreen)), None)
        if screen is not None:
            hm = screen.query_one(Heatmap)
            hm.range_sel = None
            hm.zoom, hm.zoom_center = 1.0, None
            hm.cursor_col, hm.cursor_row = None, 0
        self._table_rows = []
        self.refresh_views(force=True)

    def target_label(self) -> str | None:
        """``target 2/3: name`` when the session has several targets, else None."""
        n = self.nr_targets
        if n <= 1:
            return None
        names = self.session.target_names
        i = min(self.target_idx, n - 1)
        name = names[i] if i < len(names) else f"target {i}"
        return f"target {i + 1}/{n}: {name}"

    def open_targets(self) -> None:
        from damon_tui.tui import targets_screen

        targets_screen.open_screen(self)

    # -- drawing ------------------------------------------------------------------
    def refresh_views(self, force: bool = False) -> None:
        if not self.screen_stack:  # a timer or worker call racing the app's exit
            return
        screen = self.screen
        if not isinstance(screen, MonitorScreen):
            screen = next((s for s in self.screen_stack if isinstance(s, MonitorScreen)), None)
            if screen is None:
                return
        if not screen.is_mounted or not screen.query(Heatmap):
            return
        gen = self.feed.generation
        if gen == self._drawn_generation and not force:
            self._update_header(screen)  # CPU / speed figures move on their own
            return
        t0 = time.perf_counter()
        self._drawn_generation = gen
        feed = self.feed
        hm = screen.query_one(Heatmap)
        with feed.lock:
            if feed.heatmaps:
                if self.target_idx >= len(feed.heatmaps):
                    self.target_idx = 0
                hm.model = feed.heatmaps[self.target_idx]
            hm.prepare()
            nr_targets = len(feed.heatmaps)
        if nr_targets != getattr(self, "_bound_targets", 1):
            self._bound_targets = nr_targets
            screen.refresh_bindings()  # show ``t`` once a second target appears
        hm.refresh()
        self._update_header(screen)
        if self.replay is not None:
            self._update_timeline(screen)
        now = time.perf_counter()
        if force or now - self._last_side > 0.25:  # side panels at 4 Hz
            self._last_side = now
            self._update_side(screen)
        self.frame_times.append(time.perf_counter() - t0)
        if len(self.frame_times) > 10_000:
            del self.frame_times[:5000]

    def header_text(self, width: int = 200) -> Text:
        """Target, ops, intervals, regions, time, speed, CPU, state and recording."""
        s = self.session
        feed = self.feed
        snap = feed.latest
        line1 = Text()
        label = self.target_label()
        line1.append(s.description if label is None else label, style="bold")
        if label is not None:
            line1.append(" (t)", style="dim")
        line1.append(f" · {s.ops_line()}")
        mid = Text()
        if s.attrs is not None:
            mid.append(s.intervals_line())
            a = s.attrs
            if a.max_nr_regions:
                mid.append(f" · regions {feed.nr_regions} "
                           f"({a.min_nr_regions}..{a.max_nr_regions})")
            else:
                mid.append(f" · regions {feed.nr_regions}")
        else:
            mid.append(f"regions {feed.nr_regions}")
        state = Text()
        state.append(f"t {format_time_us(snap.end_us) if snap else '0'}")
        src = self.source
        if src is not None:
            if src.virtual:
                state.append(f" · speed {speed_label(src.speed)}")
            cpu = f"{src.cpu_fraction * 100:.0f}%" if src._thread is not None else "-"
            state.append(f" · cpu {cpu}")
            if src.ended:
                state.append(" · ended" + (f": {src.error}" if src.error else ""),
                             style="bold red" if src.error else "bold")
            elif self.paused:
                state.append(" · paused", style="bold yellow")
            else:
                state.append(" · running", style="green")
        replay_line = self.replay_status()
        if replay_line is not None:
            state.append(replay_line)
        rec = self.recorder
        if rec is not None:
            state.append(f" · ● rec {rec.path} {format_size(rec.size, 1)}", style="bold red")
        elif s.live:
            state.append(" · rec off", style="dim")
        if width >= 120:
            lines = [line1 + Text(" · ") + mid, state]
        else:
            lines = [line1, mid, state]
        for line in lines:
            line.no_wrap = True
            line.overflow = "ellipsis"
        out = Text("\n").join(lines)
        out.no_wrap = True
        out.overflow = "ellipsis"
        return out

    def _update_timeline(self, screen) -> None:
        from damon_tui.tui.replay import timeline_bar

        rp = self.replay
        box = screen.query_one("#timeline", TextBox)
        left = f"{rp.time_text(0)} "
        right = (f" {rp.time_text(self.replay_pos)} / {rp.time_text(len(rp) - 1)}"
                 "  [ ] { } home end")
        width = max((screen.size.width or 80) - len(left) - len(right) - 2, 5)
        bar = timeline_bar(self.replay_pos, len(rp), width)
        box.set_text(Text.assemble((left, "dim"), (bar, "bold cyan"), (right, "dim")))

    def _update_header(self, screen) -> None:
        bar = screen.query_one(HeaderBar)
        width = screen.size.width or 200
        height = 2 if width >= 120 else 3
        if bar.styles.height is None or bar.styles.height.value != height:
            bar.styles.height = height
        bar.set_text(self.header_text(width))

    def _update_side(self, screen) -> None:
        feed = self.feed
        ti = self.target_idx
        with feed.lock:
            snap = feed.latest
            wss = feed.wss[ti] if ti < len(feed.wss) else None
            pct = wss.percentiles() if wss else []
            series = wss.series(60) if wss else []
            avg = wss.average() if wss else 0.0
            cur = wss.current if wss else 0
            excluded = wss.exclude_samples if wss else 0
        panel = screen.query_one(WssPanel)
        rp = self.replay
        if rp is not None and ti < len(rp.record.targets):
            whole = rp.whole_wss(ti)  # the whole record, not only the fed window
            pct, series, avg = whole.percentiles(), whole.series(60), whole.average()
            excluded = whole.first
            panel.border_title = "working set: whole record"
            panel.border_subtitle = whole.coverage()
        else:
            panel.border_title = "working set"
            panel.border_subtitle = ""
        side_w = screen.side_width - 2  # inside the panels' borders
        now = screen.query_one("#wss-now", TextBox)
        now.set_text(Text.assemble(("now ", "dim"), (format_size(cur, 1), "bold"),
                                 ("  avg ", "dim"), format_size(avg, 1) if series else "-"))
        spark = screen.query_one("#wss-spark", Sparkline)
        spark.display = bool(series)
        spark.data = series or [0]
        lines = Text(no_wrap=True, overflow="crop")
        if pct:
            bar_w = max(side_w - 16, 4)
            for p, v, n in wss_bars(pct, bar_w):
                lines.append(f"{p:>3} {format_size(v, 1):>10} ")
                lines.append("█" * max(n, 0), style="cyan")
                lines.append("\n")
            lines.rstrip()
        else:
            lines.append(f"percentiles after {excluded} snapshots", style="dim")
        screen.query_one("#wss-pct", TextBox).set_text(lines)
        # regions
        panel = screen.query_one(RegionPanel)
        panel.border_title = f"regions: {self.region_sort} (o)"
        rows, ns, aggr = [], 1, 0
        if snap is not None and snap.targets:
            tgt = snap.targets[min(ti, len(snap.targets) - 1)]
            ns = max(snap.aggr_us // max(snap.sample_us, 1), 1)
            aggr = snap.aggr_us
            limit = 10  # a 13-line panel; in compact layouts it fills the side column
            if screen.compact:
                limit = max(screen.size.height - (3 if screen.size.width < 120 else 2) - 5, 1)
            rows = region_rows(tgt, self.region_sort, limit=limit)
        key = (rows, ns, side_w)
        if key != self._table_rows:
            self._table_rows = key
            screen.query_one("#regions", TextBox).set_text(
                region_table(rows, ns, aggr, side_w))
        # schemes
        screen.query_one(SchemesPanel).set_text(self.schemes_text(snap), fit_height=True)

    def schemes_text(self, snap) -> Text:
        from damon_tui.tui import schemes_view

        return schemes_view.render(self, snap)
