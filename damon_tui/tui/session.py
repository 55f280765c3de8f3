"""What the TUI is looking at: a live monitor (sim, process, physical memory) or a record.

``Session`` is built from the command line (``commands/tui.py``) or from the target
picker, and knows how to describe itself for the header.  Nothing here imports Textual.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from damon_tui.damos.runtime import runner_for
from damon_tui.engine import Attrs, Monitor
from damon_tui.kernel.session import KernelOps
from damon_tui.ops.base import Ops
from damon_tui.ops.sim import SimOps
from damon_tui.options.attrs import attrs_from_args, tuned_attrs
from damon_tui.options.kernel import kernel_monitor_from_args
from damon_tui.options.targets import ops_from_args
from damon_tui.tui import damos_bridge
from damon_tui.tui.replay import Replay, load_replay
from damon_tui.units import format_time_us


@dataclass
class Session:
    """A monitoring session: the monitor and its ops, or a replayed record."""

    description: str
    monitor: Any = None  # engine Monitor or kernel KernelMonitor (Monitor's shape)
    ops: Ops | KernelOps | None = None
    attrs: Attrs | None = None
    replay: Replay | None = None
    schemes: list = field(default_factory=list)
    seed: int = 0
    notes: list[str] = field(default_factory=list)  # "not available: ..." lines
    #: ``(preset, params)`` to enable when the app starts (``--preset`` / ``--profile``)
    start_preset: tuple | None = None
    #: one label per monitoring target (the header names the one shown)
    target_names: list[str] = field(default_factory=list)
    #: ``--kernel``: the kernel's paths (the presets screen drives the real modules)
    kernel_paths: Any = None

    @property
    def live(self) -> bool:
        return self.monitor is not None

    def ops_line(self) -> str:
        ops = self.ops
        if ops is None and self.replay is not None:
            return self.replay.ops_line()
        if ops is None:
            return "no target"
        return f"ops {ops.kind} · {ops.access_check}, {ops.resolution}"

    def intervals_line(self) -> str:
        a = self.attrs
        if a is None:
            return ""
        text = f"sample {format_time_us(a.sample_us)} aggr {format_time_us(a.aggr_us)}"
        if a.update_us:
            text += f" update {format_time_us(a.update_us)}"
        return text


def sim_session(name: str = "zigzag", attrs=None, seed: int = 0, access_rate=None,
                schemes=()) -> Session:
    """A live session on a simulated workload."""
    attrs = attrs or Attrs(update_us=1_000_000)
    ops = SimOps(name, access_rate=access_rate, seed=seed)
    return live_session(ops, attrs, seed=seed, schemes=schemes)


def live_session(ops, attrs=None, seed: int = 0, schemes=()) -> Session:
    """A live session on any operations set."""
    attrs = attrs or Attrs()
    monitor = Monitor(ops, attrs, seed=seed,
                      damos=runner_for(schemes, ops, attrs.sample_us, attrs.aggr_us))
    names = [t.description for t in ops.targets()]
    return Session(description=", ".join(names), monitor=monitor, ops=ops, attrs=attrs,
                   seed=seed, schemes=list(schemes), target_names=names)


def picked_attrs(ops, attrs=None):
    """The attributes for a target chosen in the TUI: chosen the way ``--pid`` chooses them.

    Intervals as if no ``--sample`` / ``--aggr`` was given (the ops' measured low-cost
    defaults on wall-clock targets, 5 ms / 100 ms on the sim); the region limits and
    update interval of ``attrs`` (the session so far) carry over.
    """
    base = Attrs()
    if attrs is not None:
        base = dataclasses.replace(attrs, sample_us=base.sample_us, aggr_us=base.aggr_us)
    return tuned_attrs(SimpleNamespace(sample=None, aggr=None), base, ops)


def replay_session(replay) -> Session:
    """A session replaying ``replay`` (a ``damon_tui.tui.replay.Replay``)."""
    return Session(description=replay.description, replay=replay, attrs=replay.attrs,
                   notes=list(replay.notes), target_names=replay.target_names())


def kernel_session(args) -> Session:
    """A live session on our own kdamond (``--kernel``): the kernel applies the schemes."""
    monitor = kernel_monitor_from_args(args)
    names = [t.description for t in monitor.targets]
    return Session(description=", ".join(names), monitor=monitor, ops=monitor.ops,
                   attrs=monitor.attrs, seed=0, schemes=list(monitor.schemes),
                   target_names=names, kernel_paths=monitor.session.paths,
                   notes=[f"kernel kdamond {monitor.session.index} (pid "
                          f"{monitor.session.pid}); schemes run in the kernel"])


def session_from_args(args) -> Session:
    """The session the ``tui`` command line asks for (a bad option is a UserError)."""
    if getattr(args, "kernel", False):
        return kernel_session(args)

    if getattr(args, "replay", None):
        replay = load_replay(args.replay)
        return replay_session(replay)
    ops = ops_from_args(args, seed=args.seed)
    attrs = attrs_from_args(args, ops)
    schemes, preset, params = damos_bridge.config_from_args(args, attrs, ops)
    session = live_session(ops, attrs, seed=args.seed, schemes=schemes)
    session.start_preset = (preset, params) if preset is not None else None
    return session
