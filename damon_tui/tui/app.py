"""The Textual app's lifecycle: the session, its source, recording, replay and screens.

The engine never runs on the UI thread: ``LiveSource`` pulls snapshots in a daemon
thread, feeds the pure models (``Feed``) there and posts an immutable ``MonitorView``
(``ViewReady``) at most ``FPS`` times a second; the monitor screen hands it to its
panels (``damon_tui.tui.widgets``), each of which owns ``update(view)``.  Tests
construct the app with ``autostart=False`` and call ``step()``.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from rich.text import Text
from textual.app import App
from textual.message import Message

from damon_tui.errors import UserError
from damon_tui.ops.names import NameIndex
from damon_tui.report.histograms import SzHistogram
from damon_tui.tui import presets_screen, recording, schemes_screen, schemes_view, targets_screen
from damon_tui.tui.models import Feed, fit_row_us, next_in
from damon_tui.tui.monitor import HelpScreen, MonitorScreen
from damon_tui.tui.outcomes import OutcomesModel, pageout_applied, read_outcomes
from damon_tui.tui.presets_screen import enable_from_args, make_modules
from damon_tui.tui.session import Session, live_session, picked_attrs
from damon_tui.tui.source import SPEEDS, LiveSource
from damon_tui.tui.strip_cycles import install as _no_strip_cycles
from damon_tui.tui.view import MonitorView, ProcessCpu, ReplayState, SourceState, WssView
from damon_tui.tui.widgets.header import header_text
from damon_tui.units import format_size

__all__ = ["DamonApp", "HelpScreen", "MonitorScreen", "ViewReady"]

_no_strip_cycles()

FPS = 40
#: snapshots per heatmap row suggested for each speed (rows scroll at a readable pace)
ROWS_FOR_SPEED = {1.0: 1, 10.0: 5, 100.0: 20, 0.0: 50}
#: row times ``T`` offers, in aggregation intervals
ROW_CHOICES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
#: seconds of UI time a replay tick may spend feeding snapshots (at ``max`` speed)
REPLAY_TICK_BUDGET = 0.02
#: seconds between recomputations of the side panels' figures (percentiles, schemes)
SLOW_PERIOD = 0.25


#: seconds between samples of this process's CPU use (the header's figure)
CPU_PERIOD = 0.25
#: seconds between re-reads of the shown target's mapping names
NAMES_PERIOD = 1.0


def _histogram(kind: Literal["recency", "temperature"], snap, ti: int) -> SzHistogram:
    """damo's size histogram of one target of a snapshot (recency in log-scale bins)."""
    h = SzHistogram(kind, logscale=kind == "recency")
    h.add_snapshot(snap.targets[ti], snap.sample_us, snap.aggr_us)
    return h


class ViewReady(Message):
    """The worker built a new view of the models (one in flight at a time)."""

    def __init__(self, view: MonitorView) -> None:
        self.view = view
        super().__init__()


class DamonApp(App):
    """damon-tui's Textual application."""

    TITLE = "damon-tui"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    Screen { layers: base; }
    """

    def __init__(self, session: Session, *, speed: float = 1.0, autostart: bool = True,
                 record_path: str | None = None, fine_bins: int = 1024,
                 max_rows: int = 600, pid_provider=None, target_entries=None,
                 cpu: ProcessCpu | None = None) -> None:
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
        self.recorder: recording.Recorder | None = None
        self.status_note = ""
        self._notified = False
        self._drawn_generation = -1
        self._last_post = 0.0
        self._last_draw = 0.0
        self._drawing = 0  # nesting depth of ``drawing()``
        #: (time, target, wss view, schemes text, histograms, outcomes): the side
        #: panels' slower figures
        self._slow: tuple | None = None
        #: the header's "cpu": this whole process, sampled per tick (scenes fix it)
        self.cpu = cpu or ProcessCpu()
        self._cpu_sampled = 0.0
        #: RSS, reclaimed, refaults, free memory over time (fed by the engine thread)
        self.outcomes = OutcomesModel()
        #: (monotonic time, target, NameIndex) of the shown target's mapping names
        self._names: tuple | None = None
        self.frame_times: list[float] = []  # seconds per full refresh (bench)
        self.profiles_dir: str | None = None  # presets' profile directory (None: default)
        self.replay = session.replay
        self.replay_pos = -1
        self.replay_playing = False
        self.replay_speed = 1.0  # 1x, 10x, 100x or 0 (as fast as the view can feed)
        #: (wall clock, record time in us) when play started at this speed
        self._play_anchor: tuple[float, int] | None = None
        #: a replay's row time chosen with ``T`` (None: the whole record fits the screen)
        self.replay_row_us: int | None = None
        #: time rows the heatmap shows (it says when this changes; a replay refits)
        self.heat_slots = 0
        self.modules: dict = {}
        if session.live:
            self.modules = make_modules(self)
        self._make_source()

    # -- source -------------------------------------------------------------------
    def _make_source(self) -> None:
        s = self.session
        if s.live:
            self.source = LiveSource(s.monitor, self._on_snapshot_thread, speed=self.speed)

    def _on_snapshot_thread(self, snap) -> None:
        """Called in the worker thread (or the test's thread) for every snapshot.

        Feeds the models and, at most ``FPS`` times a second and one at a time, posts
        the view built from them (``ViewReady``).
        """
        self.feed.add(snap)
        s = self.session
        if snap is not None and s.live and s.ops is not None:
            monitor = s.monitor
            self.outcomes.add(read_outcomes(
                s.ops, snap.end_us,
                pageout_applied(snap.schemes, getattr(monitor, "schemes", ())),
                self.target_idx))
        rec = self.recorder
        if rec is not None and snap is not None:
            rec.write(snap)
        if self._notified:
            return
        now = time.perf_counter()
        if snap is not None and now - self._last_post < 1 / FPS:
            return  # the UI tick draws what is left when the worker pauses
        self._notified = True
        self._last_post = now
        try:
            self.post_message(ViewReady(self.make_view()))
        except Exception:
            self._notified = False

    def engine_thread_id(self) -> int:
        """Native id of the thread running the monitor (this one when stepping)."""
        src = self.source
        native = src.native_id if src is not None else None
        return native if native is not None else threading.get_native_id()

    def on_mount(self) -> None:
        self.push_screen(MonitorScreen())
        start = getattr(self.session, "start_preset", None)
        if start is not None:
            try:
                enable_from_args(self, *start)
            except UserError as e:
                self.notify(f"preset not enabled: {e}", severity="error")
        for note in self.session.notes:
            self.notify(note, severity="warning")
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
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)

    def on_unmount(self) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        if self.source is not None:
            self.source.stop()
        if self.recorder is not None:
            self.stop_recording()

    def on_view_ready(self, msg: ViewReady) -> None:
        self._notified = False
        if msg.view.generation > self._drawn_generation:  # else a newer one is drawn
            self.show_view(msg.view)

    def _tick(self) -> None:
        now = time.perf_counter()
        sample = now - self._cpu_sampled >= CPU_PERIOD
        if sample:
            self._cpu_sampled = now
            self.cpu.sample()
        if self.replay is not None and self.replay_playing:
            self._play()
        stale = (self.feed.generation != self._drawn_generation and not self._notified
                 and time.perf_counter() - self._last_draw >= 1 / FPS)
        if stale or sample:  # else nothing moved: the header's CPU figure is as fresh
            self.refresh_views(force=False, header_only=not stale)

    # -- replay -------------------------------------------------------------------
    def seek(self, pos: int, background: bool = True) -> None:
        """Show the record up to snapshot ``pos``: the models hold every snapshot from
        the first, so the heatmap shows the record so far (the whole at the last)."""
        rp = self.replay
        if rp is None or not len(rp):
            return
        pos = max(0, min(pos, len(rp) - 1))
        if pos == self.replay_pos:
            return
        old = self.replay_pos
        self.replay_pos = pos
        self._play_anchor = None
        if old >= 0 and old < pos <= old + 20:  # a few steps forward: feed incrementally
            for i in range(old + 1, pos + 1):
                self.feed.add(rp.snapshot(i))
        elif background:
            self.run_worker(lambda: self._rebuild(pos), thread=True, exclusive=True,
                            group="replay")
        else:
            self._rebuild(pos)
        self.refresh_views(force=True)

    def replay_row_time(self) -> int:
        """The replay's row time: chosen with ``T``, else the whole record on one screen."""
        rp = self.replay
        assert rp is not None  # replay methods run on a replay session
        if self.replay_row_us:
            return self.replay_row_us
        slots = self.heat_slots or max(2 * (self.size.height - 8), 10)
        return fit_row_us(rp.duration_us, rp.aggr_us, slots)

    def _rebuild(self, pos: int) -> None:
        rp = self.replay
        assert rp is not None
        self.feed.reset()
        self.feed.set_row_us(self.replay_row_time())
        for i in range(pos + 1):
            if self.replay_pos != pos:  # a newer seek superseded this one
                return
            self.feed.add(rp.snapshot(i))
        if threading.current_thread() is not threading.main_thread():
            self.call_from_thread(self.refresh_views, True)

    def _play(self) -> None:
        """One UI tick of play: feed the snapshots the replay speed has reached."""
        rp = self.replay
        assert rp is not None
        last = len(rp) - 1
        if self.replay_pos >= last:
            self.replay_playing = False
            return
        now = time.perf_counter()
        if self._play_anchor is None:
            self._play_anchor = (now, rp.end_us(self.replay_pos))
        wall0, rec0 = self._play_anchor
        want = last if not self.replay_speed else \
            rp.index_at(rec0 + int((now - wall0) * 1e6 * self.replay_speed))
        pos = self.replay_pos
        while pos < want and time.perf_counter() - now < REPLAY_TICK_BUDGET:
            pos += 1
            self.feed.add(rp.snapshot(pos))
        if pos < want and self.replay_speed:  # the view cannot keep up: go on from here
            self._play_anchor = (time.perf_counter(), rp.end_us(pos))
        self.replay_pos = pos

    def refit_heat_slots(self, slots: int) -> None:
        """The heatmap shows ``slots`` time rows now: a fitted replay refits."""
        if slots == self.heat_slots:
            return
        first = not self.heat_slots
        old = self.replay_row_time() if self.replay is not None else 0
        self.heat_slots = slots
        if self.replay is None:
            return
        if first and self.replay_pos < 0:  # the heatmap is laid out: show the whole record
            self.seek(len(self.replay) - 1, background=False)
        elif self.replay_row_time() != old and self.replay_pos >= 0:
            pos, self.replay_pos = self.replay_pos, -1
            self.seek(pos)

    # -- controls -----------------------------------------------------------------
    def step(self, n: int = 1) -> int:
        """Pull ``n`` snapshots now (deterministic; only while paused / not started)."""
        if self.source is None:
            return 0
        if self.source.started and not self.source.paused:
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
        if not src.started:
            src.start()
        elif src.paused:
            src.resume()
        else:
            src.pause()
        self.refresh_views(force=True)

    @property
    def paused(self) -> bool:
        src = self.source
        return src is None or not src.started or src.paused

    def cycle_speed(self) -> None:
        if self.replay is not None:
            self.replay_speed = next_in(list(SPEEDS), self.replay_speed)
            self._play_anchor = None
            self.refresh_views(force=True)
            return
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
        """The next row time; the rows are rebuilt from the kept snapshots (a replay's
        from the record), so the time axis stays uniform."""
        rp = self.replay
        if rp is None:
            n = next_in([c for c in ROW_CHOICES if c <= 100], self.feed.snapshots_per_row)
            self.feed.set_snapshots_per_row(n)
        else:  # the fitted time, then finer ones
            fit = fit_row_us(rp.duration_us, rp.aggr_us, self.heat_slots or 100)
            choices = [None, *(rp.aggr_us * c for c in ROW_CHOICES if rp.aggr_us * c < fit)]
            self.replay_row_us = next_in(choices, self.replay_row_us)
            if self.replay_pos >= 0:
                pos, self.replay_pos = self.replay_pos, -1
                self.seek(pos)
        self.refresh_views(force=True)

    def toggle_record(self) -> None:
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

    def _check_recorder(self) -> None:
        """A recording that failed (a full disk) stops; the live view goes on."""
        rec = self.recorder
        if rec is not None and rec.error:
            self.recorder = None
            self.notify(f"recording stopped: {rec.error}; {rec.snapshots} snapshots kept in "
                        f"{rec.path}; the live view continues", severity="error", timeout=15)

    def stop_recording(self) -> None:
        rec, self.recorder = self.recorder, None
        if rec is not None:
            rec.close()
            if rec.error:
                self.notify(f"recording stopped: {rec.error}", severity="error")
            else:
                self.notify(f"recorded {rec.snapshots} snapshots to {rec.path} "
                            f"({format_size(rec.size, 1)})")
        self.refresh_views(force=True)

    def open_schemes(self) -> None:
        schemes_screen.open_screen(self)

    def open_presets(self) -> None:
        presets_screen.open_screen(self)

    def switch_target(self, ops) -> None:
        """Monitor another target: a new session with the current attributes."""
        attrs = picked_attrs(ops, self.session.attrs if self.session.live else None)
        if self.recorder is not None:
            self.stop_recording()
        if self.source is not None:
            self.source.stop()
        self.session = live_session(ops, attrs, seed=self.session.seed)
        self.replay = None
        self.feed.reset()
        self.outcomes = OutcomesModel()
        self._names = None
        for mod in self.modules.values():
            mod.running = mod.running_inputs = None
        self._make_source()
        assert self.source is not None  # a live session
        self.source.start()
        screen = self.monitor_screen()
        if screen is not None:
            screen.reset_target_view()
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
        screen = self.monitor_screen()
        if screen is not None:
            screen.reset_target_view()
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
        targets_screen.open_screen(self)

    # -- the view -----------------------------------------------------------------
    def make_view(self, force: bool = False) -> MonitorView:
        """The models, session and source as one immutable view (any thread)."""
        feed = self.feed
        with feed.lock:
            snap = feed.latest
            n = len(feed.heatmaps)
            if self.target_idx >= n and n:
                self.target_idx = 0
            ti = self.target_idx
            hm = feed.heatmaps[ti] if ti < n else None
            rows = tuple(hm.rows) if hm is not None else ()
            gen = feed.generation
            nr_regions = feed.nr_regions
            wss, schemes, hists, outcomes = self._slow_parts(feed, ti, snap, force)
        target = None
        if snap is not None and snap.targets:
            target = snap.targets[min(ti, len(snap.targets) - 1)]
        s = self.session
        src = self.source
        source = None
        if src is not None:
            source = SourceState(virtual=src.virtual, speed=src.speed, started=src.started,
                                 paused=self.paused, ended=src.ended, error=src.error,
                                 cpu=self.cpu.fraction())
        replay = None
        rp = self.replay
        if rp is not None and len(rp):
            pos = max(self.replay_pos, 0)
            replay = ReplayState(pos, len(rp), self.replay_playing, rp.time_text(0),
                                 rp.time_text(pos), rp.time_text(len(rp) - 1),
                                 self.replay_speed)
        rec = self.recorder
        return MonitorView(
            generation=gen, description=s.description, ops_line=s.ops_line(),
            intervals_line=s.intervals_line(), attrs=s.attrs, live=s.live,
            nr_regions=nr_regions, nr_targets=max(n, len(s.target_names), 1),
            target_idx=ti, target_label=self.target_label(), snapshot=snap, target=target,
            heatmap=hm, rows=rows, wss=wss, source=source, replay=replay,
            recording=(rec.path, rec.size) if rec is not None else None,
            region_sort=self.region_sort, schemes=schemes, names=self.names_of(ti),
            histograms=hists, outcomes=outcomes)

    def names_of(self, ti: int) -> NameIndex | None:
        """The shown target's mapping names, re-read at most every ``NAMES_PERIOD``."""
        ops = self.session.ops if self.session.live else None
        if ops is None:
            return None
        now = time.monotonic()
        cached = self._names
        if cached is not None and cached[1] == ti and now - cached[0] < NAMES_PERIOD:
            return cached[2]
        try:
            ranges = ops.mapping_names(ti)
        except Exception:  # a target gone between two reads: keep the last names
            return cached[2] if cached is not None else None
        idx = NameIndex(ranges) if ranges else None
        self._names = (now, ti, idx)
        return idx

    def _slow_parts(self, feed: Feed, ti: int, snap, force: bool) -> tuple:
        """The working-set figures and schemes text, recomputed at most every 0.25 s."""
        now = time.perf_counter()
        cached = self._slow
        if (not force and cached is not None and cached[1] == ti
                and now - cached[0] < SLOW_PERIOD):
            return cached[2], cached[3], cached[4], cached[5]
        wss = feed.wss[ti] if ti < len(feed.wss) else None
        rp = self.replay
        if rp is not None and ti < len(rp.record.targets):
            whole = rp.whole_wss(ti)  # the whole record, not only the fed window
            view = WssView(current=wss.current if wss else 0, average=whole.average(),
                           percentiles=tuple(whole.percentiles()),
                           series=tuple(whole.series(60)), excluded=whole.first,
                           title="working set: whole record", subtitle=whole.coverage())
        elif wss is not None:
            view = WssView(current=wss.current, average=wss.average(),
                           percentiles=tuple(wss.percentiles()), series=tuple(wss.series(60)),
                           excluded=wss.exclude_samples)
        else:
            view = WssView()
        schemes = self.schemes_text(snap)
        hists: tuple = ()
        if snap is not None and ti < len(snap.targets):
            hists = tuple(_histogram(kind, snap, ti) for kind in ("recency", "temperature"))
        outcomes = self.outcomes.view() if self.session.live else None
        self._slow = (now, ti, view, schemes, hists, outcomes)
        return view, schemes, hists, outcomes

    def monitor_screen(self) -> MonitorScreen | None:
        """The monitor screen in the stack (also under a modal), if any."""
        return next((s for s in self.screen_stack if isinstance(s, MonitorScreen)), None)

    # -- drawing ------------------------------------------------------------------
    def refresh_views(self, force: bool = False, header_only: bool = False) -> None:
        """Build a view now and draw it (forced: every panel, whatever changed)."""
        if not self.screen_stack:  # a timer or worker call racing the app's exit
            return
        self._check_recorder()
        screen = self.monitor_screen()
        if screen is None:
            return
        view = self.make_view(force)
        if header_only or (view.generation == self._drawn_generation and not force):
            screen.show_header(view)  # CPU / speed figures move on their own
            return
        self.show_view(view, force)

    def show_view(self, view: MonitorView, force: bool = False) -> None:
        screen = self.monitor_screen()
        if screen is None:
            return
        t0 = time.perf_counter()
        with self.drawing():
            if not screen.show(view, force):
                return
        self._drawn_generation = view.generation
        self._last_draw = time.perf_counter()
        self.frame_times.append(self._last_draw - t0)
        if len(self.frame_times) > 10_000:
            del self.frame_times[:5000]

    @contextmanager
    def drawing(self) -> Iterator[None]:
        """The UI thread draws: the engine's worker holds off meanwhile (``ui_idle``)."""
        src = self.source
        if src is None:
            yield
            return
        self._drawing += 1
        src.ui_idle.clear()
        try:
            yield
        finally:
            self._drawing -= 1
            if not self._drawing:
                src.ui_idle.set()

    def header_text(self, width: int = 200) -> Text:
        """Target, ops, intervals, regions, time, speed, CPU, state and recording."""
        return header_text(self.make_view(), width)

    def schemes_text(self, snap) -> Text:
        return schemes_view.render(self, snap)
