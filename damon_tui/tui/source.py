"""Where the TUI's snapshots come from: a live monitor in a worker thread, or a record.

``LiveSource`` runs ``Monitor.run()`` in a plain daemon thread and paces virtual-clock
ops to a speed (1x, 10x, 100x or as fast as possible); it hands snapshots to a callback
that must be thread-safe (the app appends them to a deque and posts one coalesced
message).  ``step()`` pulls snapshots synchronously when the thread is not running, so
tests and screenshots are deterministic.  Records are replayed by ``tui/replay.py``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from damon_tui.errors import UserError
from damon_tui.ops.base import OpsError

#: what ends a live source with a status line (target gone, ops or kernel refusals,
#: /proc races); anything else is a bug and propagates
EXPECTED_ERRORS = (OpsError, UserError, OSError)

SPEEDS = (1.0, 10.0, 100.0, 0.0)  # 0 = as fast as possible
#: the longest the worker waits for the UI to finish drawing a frame before it pulls the
#: next snapshot anyway (the UI never holds it up for longer)
UI_WAIT_MAX = 0.05
#: at ``max`` speed the worker sleeps ``YIELD_S`` after every ``YIELD_EVERY`` s of work so
#: the UI thread gets the GIL within a frame even while the engine never waits
YIELD_EVERY, YIELD_S = 0.008, 0.001


def speed_label(speed: float) -> str:
    return "max" if not speed else f"{speed:g}x"


class LiveSource:
    """A Monitor driven from a worker thread, paced, pausable and steppable."""

    kind = "live"

    def __init__(self, monitor, on_snapshot: Callable[[object], None] | None = None,
                 speed: float = 1.0, duration_us: int | None = None):
        self.monitor = monitor
        self.ops = monitor.ops
        self.on_snapshot = on_snapshot or (lambda snap: None)
        self.speed = speed
        self.duration_us = duration_us
        self._gen = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._running = threading.Event()  # set = not paused
        #: wakes the pacing sleep: a speed change, a pause or a stop takes effect now
        self._wake = threading.Event()
        self._speed_gen = 0  # bumps on every speed change (the pacing re-anchors)
        self.ended = False
        self.error: str | None = None
        #: CPU seconds the worker spent inside the engine / wall seconds, recent window
        self.cpu_fraction = 0.0
        self.achieved_speed = 0.0
        self.snapshots = 0
        self._calls: list = []
        #: cleared by the UI while it draws a frame: the worker waits (up to
        #: ``UI_WAIT_MAX``) before its next snapshot instead of contending for the GIL
        self.ui_idle = threading.Event()
        self.ui_idle.set()

    # -- control ------------------------------------------------------------------
    @property
    def virtual(self) -> bool:
        return getattr(self.ops, "clock", "wall") == "virtual"

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def started(self) -> bool:
        """The worker thread was started (``step()`` only pulls while it was not)."""
        return self._thread is not None

    @property
    def native_id(self) -> int | None:
        """The worker thread's native id while it runs (the presets' kdamond_pid)."""
        t = self._thread
        return t.native_id if t is not None and t.is_alive() else None

    def start(self, paused: bool = False) -> None:
        if not paused:
            self._running.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="damon-engine", daemon=True)
            self._thread.start()

    def pause(self) -> None:
        self._running.clear()
        self._wake.set()

    def resume(self) -> None:
        self._running.set()

    def set_speed(self, speed: float) -> None:
        """Pace at ``speed`` from now on (virtual time already run does not count)."""
        self.speed = speed
        self._speed_gen += 1
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()
        self._wake.set()
        try:
            self.monitor.stop()
        except EXPECTED_ERRORS:  # a kernel monitor's target may be gone already
            pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self._close_ops()

    def _close_ops(self) -> None:
        try:
            self.ops.close()
        except EXPECTED_ERRORS:
            pass

    def call(self, fn: Callable[[], None], restart: bool = False) -> None:
        """Run ``fn`` in the engine thread between snapshots (``damon_call``).

        ``restart`` re-enters ``Monitor.run()`` afterwards so the loop picks up changed
        hooks (schemes).  When the worker is idle the call runs now, in this thread.
        """
        self._calls.append((fn, restart))
        if self._thread is None or self.paused:
            if self._lock.acquire(timeout=0.05):
                try:
                    self._run_calls()
                finally:
                    self._lock.release()

    def _run_calls(self) -> None:
        while self._calls:
            fn, restart = self._calls.pop(0)
            fn()
            if restart and self._gen is not None:
                self._gen.close()
                self._gen = None

    # -- pulling ------------------------------------------------------------------
    def _next(self):
        with self._lock:
            self._run_calls()
            if self.ended:
                return None
            if self._gen is None:
                self._gen = iter(self.monitor.run(self.duration_us))
            try:
                snap = next(self._gen)
            except StopIteration:
                self.ended = True
                return None
            except EXPECTED_ERRORS as e:  # target gone, ops error: end, say why
                self.ended = True
                self.error = f"{type(e).__name__}: {e}"
                return None
            except Exception as e:  # an engine bug: say so, and let it reach the caller
                self.ended = True
                self.error = f"internal error: {type(e).__name__}: {e}"
                raise
        self.snapshots += 1
        return snap

    def step(self, n: int = 1) -> list:
        """Pull ``n`` snapshots synchronously (tests, single-stepping while paused)."""
        out = []
        for _ in range(n):
            snap = self._next()
            if snap is None:
                break
            self.on_snapshot(snap)
            out.append(snap)
        return out

    def _loop(self) -> None:
        anchor_wall = anchor_virt = None
        anchor_gen = self._speed_gen
        cpu_window: list[tuple[float, float]] = []
        last_yield = time.perf_counter()
        while not self._stop.is_set():
            if not self._running.wait(0.1):
                anchor_wall = None
                continue
            if self._stop.is_set():
                break
            if not self.ui_idle.is_set():  # the UI draws: let it have the GIL
                self.ui_idle.wait(UI_WAIT_MAX)
            c0, w0 = time.thread_time(), time.perf_counter()
            try:
                snap = self._next()
            except Exception:
                self.on_snapshot(None)  # the app shows self.error; the traceback goes on
                raise  # to threading.excepthook (tests fail on it, see pyproject.toml)
            c1, w1 = time.thread_time(), time.perf_counter()
            if snap is None:
                self.on_snapshot(None)
                break
            self.on_snapshot(snap)
            cpu_window.append((c1 - c0, w1))
            if anchor_gen != self._speed_gen:  # new speed: pace from this snapshot on
                anchor_gen, anchor_wall = self._speed_gen, None
            speed = self.speed
            if self.virtual and speed:
                if anchor_wall is None:
                    anchor_wall, anchor_virt = w1, snap.end_us
                due = anchor_wall + (snap.end_us - anchor_virt) / 1e6 / speed
                lag = due - time.perf_counter()
                if lag > 0:
                    self._wake.clear()
                    if (anchor_gen == self._speed_gen and not self.paused
                            and not self._stop.is_set()):
                        self._wake.wait(lag)  # a speed change, pause or stop ends it
                elif lag < -1.0:  # too slow for this speed: re-anchor, don't burst
                    anchor_wall, anchor_virt = time.perf_counter(), snap.end_us
            elif w1 - last_yield > YIELD_EVERY:  # max speed: let the UI have the GIL
                time.sleep(YIELD_S)
                last_yield = time.perf_counter()
            # CPU use over the last ~2 s of wall time
            now = time.perf_counter()
            while cpu_window and now - cpu_window[0][1] > 2.0:
                cpu_window.pop(0)
            if cpu_window:
                span = max(now - cpu_window[0][1] + (w1 - w0), 1e-3)
                self.cpu_fraction = sum(c for c, _ in cpu_window) / span
        self._close_ops()

