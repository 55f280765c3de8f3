"""Our own kdamond: create, configure, turn on, snapshot, commit, turn off.

:class:`KernelSession` adds one kdamond (refusing when any kdamond not ours exists: the
kernel refuses ``nr_kdamonds`` changes while one runs, and the change would erase an
idle one's configuration), writes a :class:`KernelConfig`, turns it on and notes it in
the state dir.  :meth:`KernelSession.close` turns it off and puts ``nr_kdamonds`` back.

:class:`KernelMonitor` has the engine ``Monitor``'s shape (``run()`` yields
``Snapshot``; ``stop()``; ``attrs``; ``ops``), so monitor, record and the TUI consume
the kernel's snapshots unchanged.  A snapshot per aggregation, the way damo does it:
``update_schemes_tried_regions`` (the kernel answers after the next scheme
application, i.e. the next aggregation) then ``tried_regions/`` of the ``stat``
scheme(s) matching every region.
"""

from __future__ import annotations

import dataclasses
import errno
import signal
import threading
import time
from array import array
from collections.abc import Iterator
from pathlib import Path

from damon_tui.damos.runtime import DamosStats
from damon_tui.engine import Attrs, Snapshot, TargetSnapshot
from damon_tui.kernel import ownership
from damon_tui.kernel.sysfs import KernelError, Paths, SysfsIO
from damon_tui.kernel.tree import (
    KernelConfig,
    check_features,
    config_refusal,
    read_dir,
    read_tried_regions,
    write_config,
)
from damon_tui.ops.base import ALL_ACTIONS, TargetInfo
from damon_tui.units import format_size


def foreign_refusal(states: list[ownership.KdamondState], paths: Paths) -> str | None:
    """One sentence saying why we cannot add a kdamond, or None when we can."""
    for st in states:
        if st.running and not st.ours:
            return (f"kdamond {st.index} (pid {st.pid}) is running and was not started by "
                    f"damon-tui; the kernel refuses to add kdamonds while one runs, so "
                    f"--kernel changes nothing (see `damon-tui status`)")
        owner = st.owner  # set: the kdamond is ours
        if st.running and owner is not None and owner.owner_alive:
            return (f"kdamond {st.index} (pid {st.pid}) is running for damon-tui process "
                    f"{owner.owner_pid}; the kernel refuses to add kdamonds while one runs")
        if st.running and owner is not None:
            return (f"kdamond {st.index} (pid {st.pid}) was left on by a damon-tui run that "
                    f"ended (process {owner.owner_pid}); `damon-tui stop` turns it off")
    if states and not all(st.ours for st in states):
        foreign = [st.index for st in states if not st.ours]
        return (f"{paths.kdamonds}: {len(states)} kdamond(s) exist ({len(foreign)} configured by "
                f"someone else, off); adding one would make the kernel erase their "
                f"configuration, so --kernel changes nothing")
    if states:
        return (f"{paths.kdamonds}: kdamonds left by an earlier damon-tui run exist; "
                "`damon-tui stop` removes them")
    return None


def _module_enabled(io: SysfsIO, paths: Paths) -> list[str]:
    out = []
    for module in ("damon_reclaim", "damon_lru_sort"):
        if io.read_opt(paths.module_params(module) / "enabled") == "Y":
            out.append(module.upper())
    return out


class KernelSession:
    """One kdamond damon-tui started (index, kernel pid, configuration)."""

    def __init__(self, paths: Paths, io: SysfsIO | None = None) -> None:
        self.paths = paths
        self.io = io or SysfsIO()
        self.index: int | None = None
        self.pid: int | None = None
        self.config: KernelConfig | None = None
        self.nr_found = 0
        self._closed = False
        self._lock = threading.Lock()
        #: one kernel command at a time: the kernel answers a second pending one with EBUSY
        self.io_lock = threading.RLock()
        self.commit_settle_s = COMMIT_SETTLE_S

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def dir(self) -> Path:
        assert self.index is not None
        return self.paths.kdamond(self.index)

    @property
    def ctx_dir(self) -> Path:
        return self.dir / "contexts" / "0"

    def start(self, cfg: KernelConfig) -> None:
        """Add our kdamond, write ``cfg``, turn it on; refusals change nothing."""
        io, paths = self.io, self.paths
        states = ownership.kdamond_states(io, paths)
        refusal = foreign_refusal(states, paths)
        if refusal:
            raise KernelError(refusal)
        self.nr_found = len(states)
        self.index = self.nr_found
        io.write(paths.kdamonds / "nr_kdamonds", self.nr_found + 1)
        try:
            check_features(io, self.ctx_dir if (self.dir / "contexts/0").exists()
                           else self._make_context(), cfg)
            write_config(io, self.dir, cfg)
            nr_snap = len(cfg.all_schemes()) - len(cfg.schemes)
            # noted before `on`: a crash right after it leaves a kdamond `stop` knows as ours
            ownership.write_owner(paths, self.index, ownership.PID_PENDING, self.nr_found,
                                  nr_snapshot_schemes=nr_snap)
            try:
                io.write(self.dir / "state", "on")
            except KernelError as e:
                mods = _module_enabled(io, paths)
                if e.errno == errno.EBUSY and mods:
                    raise KernelError(f"{self.dir / 'state'}: the kernel refused 'on' (EBUSY): "
                                      f"{' and '.join(mods)} is enabled, and on this kernel "
                                      "the DAMON modules and sysfs kdamonds exclude each "
                                      "other; disable it first (damon-tui preset disable)",
                                      errno.EBUSY, str(self.dir / "state")) from None
                raise
            pid_text = io.read_opt(self.dir / "pid") or "-1"
            self.pid = int(pid_text) if pid_text.lstrip("-").isdigit() else -1
            ownership.write_owner(paths, self.index, self.pid, self.nr_found,
                                  nr_snapshot_schemes=nr_snap)
            self.config = cfg
        except BaseException:
            self._teardown()
            raise

    def _make_context(self) -> Path:
        self.io.write(self.dir / "contexts" / "nr_contexts", 1)
        return self.ctx_dir

    # -- running --------------------------------------------------------------------
    def state(self) -> str:
        return self.io.read_opt(self.dir / "state") or "off"

    def command(self, cmd: str) -> None:
        busy_command(self.io, self.dir / "state", cmd)

    def scheme_dir(self, i: int) -> Path:
        return self.ctx_dir / "schemes" / str(i)

    def snapshot_regions(self) -> list[list[tuple[int, int, int, int]]]:
        """Per target: the regions of the next scheme application (blocks ~1 aggr)."""
        cfg = self.config
        assert cfg is not None
        nr_snap = len(cfg.all_schemes()) - len(cfg.schemes)
        # the snapshot schemes are the last ones (a `damon-tui commit` may change the rest)
        first = self.io.read_int(self.ctx_dir / "schemes/nr_schemes") - nr_snap
        for _attempt in range(3):
            self.command("update_schemes_tried_regions")
            out = []
            consistent = True
            for i in range(first, first + nr_snap):
                regions = read_tried_regions(self.io, self.scheme_dir(i))
                total = self.io.read_opt(self.scheme_dir(i) / "tried_regions/total_bytes")
                if total is not None and int(total) != sum(e - s for s, e, _, _ in regions):
                    consistent = False  # read while the kernel refreshed them: retry
                out.append(regions)
            if consistent:
                break
        if nr_snap == 1 and len(cfg.targets) > 1:
            return out * len(cfg.targets)
        return out

    def scheme_stats(self) -> tuple:
        """``DamosStats`` of the user's schemes (after ``update_schemes_stats``)."""
        cfg = self.config
        if not cfg:
            return ()
        nr_snap = len(cfg.all_schemes()) - len(cfg.schemes)
        nr_user = self.io.read_int(self.ctx_dir / "schemes/nr_schemes") - nr_snap
        if nr_user <= 0:
            return ()
        self.command("update_schemes_stats")
        out = []
        for i in range(nr_user):
            st = read_dir(self.io, self.scheme_dir(i) / "stats")
            esz = self.io.read_opt(self.scheme_dir(i) / "quotas/effective_bytes")
            out.append(DamosStats(
                nr_tried=int(st.get("nr_tried", 0)), sz_tried=int(st.get("sz_tried", 0)),
                nr_applied=int(st.get("nr_applied", 0)),
                sz_applied=int(st.get("sz_applied", 0)),
                sz_ops_filter_passed=int(st.get("sz_ops_filter_passed", 0)),
                qt_exceeds=int(st.get("qt_exceeds", 0)),
                nr_snapshots=int(st.get("nr_snapshots", 0)),
                esz=int(esz) if esz and esz.isdigit() else 0))
        return tuple(out)

    def current_intervals(self) -> tuple[int, int]:
        """(sample_us, aggr_us) in force: the tuned ones when the kernel tunes them."""
        cfg = self.config
        assert cfg is not None
        ivs = self.ctx_dir / "monitoring_attrs/intervals"
        if cfg.attrs.intervals_goal.enabled and (ivs / "intervals_goal").exists():
            self.command("update_tuned_intervals")
        # read every time: a `damon-tui commit` from another process may change them
        return self.io.read_int(ivs / "sample_us"), self.io.read_int(ivs / "aggr_us")

    def commit(self, cfg: KernelConfig) -> None:
        with self.io_lock:
            self._commit(cfg)

    def _commit(self, cfg: KernelConfig) -> None:
        """Write ``cfg`` and ``commit``; on refusal rewrite the running config and raise.

        The kernel validates on commit and keeps the running context when it refuses;
        the files are then put back to the running configuration (read back to prove).
        """
        old = self.config
        assert old is not None and self.index is not None
        refusal = config_refusal(self.ctx_dir, cfg)
        if refusal:
            raise KernelError(f"{refusal}; nothing was written: the kdamond keeps its running "
                              "configuration")
        try:
            write_config(self.io, self.dir, cfg)
            self.command("commit")
        except KernelError as e:
            try:
                write_config(self.io, self.dir, old)
            except KernelError:
                pass
            raise KernelError(f"{e} -- the kdamond keeps its running configuration",
                              e.errno, e.path) from None
        if stopped_by_commit(self.io, self.dir, self.commit_settle_s):
            message, pid = restart_after_refused_commit(
                self.io, self.paths, self.index, lambda: write_config(self.io, self.dir, old))
            if pid is not None:
                self.pid = pid
            raise KernelError(message, errno.EINVAL, str(self.dir / "state"))
        self.config = cfg

    # -- ending ---------------------------------------------------------------------
    def close(self) -> None:
        """Turn our kdamond off and leave ``nr_kdamonds`` as found (idempotent)."""
        with self._lock:
            if self._closed or self.index is None:
                return
            self._closed = True
            self._teardown()

    def _teardown(self) -> None:
        io = self.io
        try:
            if self.state() == "on":
                io.write(self.dir / "state", "off")
                _wait_off(io, self.dir)
        finally:
            try:
                io.write(self.paths.kdamonds / "nr_kdamonds", self.nr_found)
            finally:
                if self.index is not None:
                    ownership.remove_owner(self.paths, self.index)


#: how long the kdamond is watched after a ``commit`` write: before Linux 6.14 the kernel
#: commits in the kdamond's aggregation callback and answers the writer success even when
#: it refuses; the callback's error then ends ``kdamond_fn`` (the kdamond stops)
COMMIT_SETTLE_S = 1.0


def reports_commit_errors(kdamond_dir: Path) -> bool:
    """Whether this kernel returns a refused commit's error to the writer (6.14+, where
    commits go through ``damon_call``; seen from ``stats/sz_ops_filter_passed``)."""
    return any((kdamond_dir / "contexts/0/schemes").glob("*/stats/sz_ops_filter_passed"))


def stopped_by_commit(io: SysfsIO, kdamond_dir: Path, settle_s: float) -> bool:
    """Whether the kernel stopped the kdamond after a ``commit`` it answered success."""
    if reports_commit_errors(kdamond_dir):
        return False
    deadline = time.monotonic() + settle_s
    while True:
        if io.read_opt(kdamond_dir / "state") != "on":
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def restart_after_refused_commit(io: SysfsIO, paths: Paths, index: int, restore
                                 ) -> tuple[str, int | None]:
    """The kernel stopped our kdamond on a refused commit: put its files back (``restore``),
    turn it on again and note its new pid.  Returns the one-sentence error and the pid."""
    kdir = paths.kdamond(index)
    head = (f"{kdir / 'state'}: the kernel refused the commit and stopped the kdamond "
            "(before Linux 6.14 a refused commit ends the kdamond while the write reports "
            "success)")
    try:
        restore()
        io.write(kdir / "state", "on")
    except KernelError as e:
        return f"{head}; turning it on again with the previous configuration failed: {e}", None
    pid_text = io.read_opt(kdir / "pid") or "-1"
    pid = int(pid_text) if pid_text.lstrip("-").isdigit() else -1
    try:
        ownership.renote_pid(paths, index, pid)
    except (OSError, ValueError):
        pass
    return (f"{head}; damon-tui put its files back and turned it on again with the previous "
            f"configuration (kdamond pid now {pid})", pid)


def busy_command(io: SysfsIO, state_file: Path, cmd: str) -> None:
    """Write a ``state`` command; ``io`` waits out EBUSY while another command is
    pending (e.g. a `damon-tui commit` from another process during a snapshot request)."""
    io.write(state_file, cmd)


def _wait_off(io: SysfsIO, kdamond_dir: Path, timeout_s: float = 5.0) -> None:
    """``off`` returns before the thread exits on some kernels; nr_kdamonds needs it gone."""
    deadline = time.monotonic() + timeout_s
    while io.read_opt(kdamond_dir / "state") == "on" and time.monotonic() < deadline:
        time.sleep(0.01)


class KernelOps:
    """What consumers ask of an ops set, for the kernel's own DAMON (no sampling here)."""

    clock = "wall"
    resolution = "per page"
    access_check = "kernel DAMON (accessed bits)"
    min_region_sz = 4096

    def __init__(self, session: KernelSession, targets: list[TargetInfo], kind: str) -> None:
        self.session = session
        self._targets = targets
        self.kind = kind

    def targets(self) -> list[TargetInfo]:
        return list(self._targets)

    def supported_actions(self) -> frozenset[str]:
        """Every action: the kernel validates them on commit."""
        return frozenset(ALL_ACTIONS)

    def unsupported_reason(self, action: str) -> str:
        return f"the kernel refuses '{action}'"

    def mapping_names(self, target_idx: int) -> list:
        """``[]``: the kernel's DAMON does not name a target's memory (as ``Ops``)."""
        return []

    def close(self) -> None:
        self.session.close()


class KernelMonitor:
    """The engine ``Monitor``'s interface over our kdamond."""

    def __init__(self, ops: KernelOps, attrs: Attrs, schemes: tuple = (),
                 clock=time.monotonic) -> None:
        self.ops = ops
        self.session = ops.session
        self.attrs = attrs
        self.schemes = tuple(schemes)
        self.damos = None  # the kernel applies the schemes
        self.targets = ops.targets()
        self._clock = clock
        self._t0 = clock()
        self._stop = threading.Event()
        self._last_end = 0
        self.nr_regions = 0
        self.last_stats: tuple = ()
        self.ended_reason: str | None = None

    @property
    def now_us(self) -> int:
        return int((self._clock() - self._t0) * 1_000_000)

    def summary_lines(self) -> list[str]:
        """The kdamond, why it ended, and the kernel's stats of the user's schemes."""
        s = self.session
        lines = [f"# kernel kdamond {s.index} (pid {s.pid}) at {s.paths.kdamonds}: turned off, "
                 f"nr_kdamonds back to {s.nr_found}" if s.closed else
                 f"# kernel kdamond {s.index} (pid {s.pid})"]
        if self.ended_reason:
            lines.append(f"# {self.ended_reason}")
        if self.schemes:
            lines.append("# DAMOS schemes (kernel stats):")
        for i, (sch, st) in enumerate(zip(self.schemes, self.last_stats, strict=False)):
            lines.append(f"#   {i} {sch.action}: tried {st.nr_tried} regions "
                         f"({format_size(st.sz_tried)}), applied {st.nr_applied} "
                         f"({format_size(st.sz_applied)}), quota exceeded {st.qt_exceeds} times")
        return lines

    def stop(self) -> None:
        self._stop.set()

    def set_attrs(self, attrs: Attrs) -> None:
        """Commit new attributes to the running kdamond (refusal keeps the old ones)."""
        cfg = self.session.config
        assert cfg is not None
        self.session.commit(dataclasses.replace(cfg, attrs=attrs))
        self.attrs = attrs

    def set_schemes(self, schemes: tuple) -> None:
        cfg = self.session.config
        assert cfg is not None
        self.session.commit(dataclasses.replace(cfg, schemes=tuple(schemes)))
        self.schemes = tuple(schemes)

    def run(self, duration_us: int | None = None, speed: float | None = None
            ) -> Iterator[Snapshot]:
        """One snapshot per aggregation until ``duration_us``, ``stop()`` or the kdamond
        stops by itself (its targets are gone)."""
        limit = None if duration_us is None else self.now_us + int(duration_us)
        with _sigterm_as_interrupt():
            while not self._stop.is_set():
                if self.session.state() != "on":
                    self.ended_reason = "the kdamond stopped (its targets are gone)"
                    return
                # the kernel answers at the next aggregation; a kernel (or fake) that
                # answers at once is paced to half an aggregation interval
                wait_s = (self._last_end + self.attrs.aggr_us / 2) / 1e6 - self.now_us / 1e6
                if self._last_end and wait_s > 0:
                    time.sleep(wait_s)
                with self.session.io_lock:
                    try:
                        per_target = self.session.snapshot_regions()
                    except KernelError:
                        if self.session.state() != "on":
                            self.ended_reason = "the kdamond stopped (its targets are gone)"
                            return
                        raise
                    stats = self.session.scheme_stats()
                    sample_us, aggr_us = self.session.current_intervals()
                self.last_stats = stats
                end = self.now_us
                targets = []
                nr = 0
                for info, regions in zip(self.targets, per_target, strict=False):
                    starts, ends = array("Q"), array("Q")
                    nrs, ages = array("I"), array("I")
                    for s, e, n, a in regions:
                        starts.append(s)
                        ends.append(e)
                        nrs.append(min(n, 2**32 - 1))
                        ages.append(min(a, 2**32 - 1))
                    nr += len(starts)
                    targets.append(TargetSnapshot(info.target_id, starts, ends, nrs, ages))
                self.nr_regions = nr
                start = max(self._last_end, end - aggr_us)
                self._last_end = end
                yield Snapshot(start, end, sample_us, aggr_us, targets, stats)
                if limit is not None and end >= limit:
                    return


class _sigterm_as_interrupt:
    """SIGTERM raises KeyboardInterrupt in the main thread, so cleanup runs."""

    def __enter__(self):
        self._old = None
        if threading.current_thread() is threading.main_thread():
            try:
                self._old = signal.signal(signal.SIGTERM, _raise_interrupt)
            except ValueError:
                self._old = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
