"""Command-line options for real targets: ``--pid``, ``--paddr``, ``--regions``,
``--access-check`` and a command to launch after ``--``.

``damon_tui.targets.add_target_arguments`` calls :func:`add_arguments` on its
``target`` group, which also declares the trailing ``command_line`` positional
(``argparse.REMAINDER``), so every command using the shared target options accepts
``damon-tui record -- ./app args`` without declaring anything itself.  Commands that
add positionals of their own must add them *before* calling
``add_target_arguments`` (REMAINDER swallows everything after it).

:func:`ops_from_args` returns ``None`` when no real target was asked for (the caller
then falls back to ``--sim``).

Interval retuning: :func:`tuned_attrs` gives the access check's cheap default intervals
at start; :func:`retuner_from_args` returns an :class:`IntervalRetuner` that a command
polls once per snapshot (``retune.poll()``), so intervals follow the access check's
measured cost while the target runs (a launched command that grows).  The ops only
suggests (``retune_hint()``); the retuner owns the policy and calls
``Monitor.set_attrs``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from damon_tui.errors import UserError
from damon_tui.units import UnitError, parse_size


def add_arguments(group) -> None:
    """Add the real-target options to an argparse group."""
    group.add_argument("--pid", metavar="PID[,PID...]", default=None,
                       help="monitor live processes (vaddr; per page with page idle tracking "
                       "as root, else per mapping via clear_refs + smaps)")
    group.add_argument("--paddr", action="store_true",
                       help="monitor physical memory (root and page idle tracking)")
    group.add_argument("--regions", metavar="START-END[,START-END...]", default=None,
                       help="fixed ranges: with --pid, monitor only these virtual ranges "
                       "(fvaddr); with --paddr, these physical ranges instead of System RAM")
    group.add_argument("--access-check", choices=("auto", "page-idle", "clear-refs"),
                       default="auto",
                       help="how vaddr checks accesses (auto: page idle if available)")
    group.add_argument("command_line", nargs=argparse.REMAINDER, metavar="-- COMMAND ...",
                       help="launch COMMAND and monitor it until it exits (vaddr)")


def parse_ranges(text: str, field: str = "--regions") -> list[tuple[int, int]]:
    """``START-END,...`` with hex (``0x``), decimal or sizes (``1G``) as ``[start, end)``."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        if not sep:
            raise UserError(f"{field}: expected START-END, got {part!r}")
        try:
            start, end = (_addr(lo.strip(), field), _addr(hi.strip(), field))
        except UnitError as e:
            raise UserError(str(e)) from None
        if start >= end:
            raise UserError(f"{field}: range {part!r} is empty (start must be below end)")
        out.append((start, end))
    if not out:
        raise UserError(f"{field}: no range given")
    out.sort()
    for (s0, e0), (s1, _) in zip(out, out[1:], strict=False):
        if s1 < e0:
            raise UserError(f"{field}: ranges starting at {s0:#x} and {s1:#x} overlap")
    return out


def _addr(text: str, field: str) -> int:
    if text.lower().startswith("0x"):
        try:
            return int(text, 16)
        except ValueError:
            raise UserError(f"{field}: bad hex address {text!r}") from None
    return parse_size(text, field)


def _pids(text: str) -> list[int]:
    pids = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) <= 0:
            raise UserError(f"--pid: expected a process id (a positive integer), got {part!r}")
        pids.append(int(part))
    return pids


def launch(command: list[str]) -> subprocess.Popen:
    """Start ``command`` (its output goes to our stderr, so stdout stays clean)."""
    exe = command[0]
    if os.sep not in exe and shutil.which(exe) is None:
        raise UserError(f"cannot launch {exe!r}: command not found")
    try:
        out = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (tests, embedding)
        out = 2
    try:
        return subprocess.Popen(command, stdout=out, stdin=subprocess.DEVNULL)
    except OSError as e:
        raise UserError(f"cannot launch {exe!r}: {e.strerror}") from None


def ops_from_args(args: argparse.Namespace):
    """The real-target ops the arguments ask for, or None."""
    command = list(getattr(args, "command_line", None) or [])
    if command and command[0] == "--":
        command = command[1:]
    elif command and command != getattr(args, "argv_after_dashdash", command):
        # argparse's REMAINDER takes a stray word (``--sample 5 ms`` unquoted) as a command
        raise UserError(f"unexpected argument {command[0]!r}: quote values that contain "
                        "spaces (--sample '5 ms'), and put a command to launch after '--' "
                        "(damon-tui record -- ./app args)")
    pid_text = getattr(args, "pid", None)
    paddr = getattr(args, "paddr", False)
    regions_text = getattr(args, "regions", None)
    access_check = getattr(args, "access_check", "auto") or "auto"
    chosen = [name for name, on in (("--pid", pid_text), ("--paddr", paddr),
                                    ("-- COMMAND", command)) if on]
    if len(chosen) > 1:
        raise UserError(f"give only one target: {' and '.join(chosen)} were both given")
    if not chosen:
        if regions_text:
            raise UserError("--regions needs --pid PID or --paddr")
        return None
    regions = parse_ranges(regions_text) if regions_text else None
    if paddr:
        from damon_tui.ops.paddr import PaddrOps

        return PaddrOps(regions)
    from damon_tui.ops.vaddr import FvaddrOps, VaddrOps

    if command:
        child = launch(command)
        try:
            if regions:
                return FvaddrOps(child.pid, regions, access_check=access_check, child=child)
            return VaddrOps([child.pid], access_check=access_check, child=child)
        except UserError:
            if child.poll() is not None:
                raise UserError(f"{command[0]!r} exited (status {child.returncode}) before "
                                "monitoring could start") from None
            child.kill()
            child.wait()
            raise
        except BaseException:
            child.kill()
            child.wait()
            raise
    pids = _pids(pid_text)
    if regions:
        if len(pids) != 1:
            raise UserError("--regions with --pid takes exactly one process")
        return FvaddrOps(pids[0], regions, access_check=access_check)
    return VaddrOps(pids, access_check=access_check)


def tuned_attrs(args: argparse.Namespace, attrs, ops):
    """``attrs`` with the access check's cheaper default intervals for what the user
    left unset (``--sample`` / ``--aggr`` are ``None`` when not given; real targets only).

    Neither given: both defaults.  Only ``--aggr`` given: the default sampling interval
    unless it exceeds the aggregation interval.  Only ``--sample`` given: the user's
    choice stands (with the generic aggregation default).
    """
    intervals = getattr(ops, "default_intervals", None)
    if intervals is None or ops.clock != "wall" or getattr(args, "sample", None) is not None:
        return attrs
    import dataclasses

    sample_us, aggr_us = intervals
    if getattr(args, "aggr", None) is not None:
        return dataclasses.replace(attrs, sample_us=min(sample_us, attrs.aggr_us))
    return dataclasses.replace(attrs, sample_us=sample_us, aggr_us=aggr_us)


class IntervalRetuner:
    """Follows an ops set's measured sampling cost by retuning the monitor's intervals.

    The protocol: an ops that can re-measure its cost has ``retune_hint() ->
    (sample_us, aggr_us) | None`` (None: nothing new) and ``retune_floor_us``.  Each
    :meth:`poll` (once per snapshot, from the thread iterating ``Monitor.run``) asks
    for a hint and applies it through ``Monitor.set_attrs`` (thread-safe; in force from
    the next sample) when it is at least ``GROW`` times the current sampling interval,
    or at most ``SHRINK`` times it (hysteresis: noise does not flap the intervals).
    The sampling interval never goes below the ops' floor.
    """

    GROW = 1.2
    SHRINK = 0.5

    def __init__(self, monitor) -> None:
        self.monitor = monitor
        self.floor_us = int(getattr(monitor.ops, "retune_floor_us", 1))
        #: (sample_us, aggr_us) of every retune applied, in order
        self.history: list[tuple[int, int]] = []

    def poll(self):
        """Apply the ops' hint if it differs enough; return the new ``Attrs`` or None."""
        import dataclasses

        hint = self.monitor.ops.retune_hint()
        if hint is None:
            return None
        sample_us, aggr_us = hint
        attrs = self.monitor.attrs
        if sample_us < self.floor_us:
            aggr_us = aggr_us * self.floor_us // sample_us
            sample_us = self.floor_us
        current = attrs.sample_us
        if not (sample_us >= current * self.GROW or sample_us <= current * self.SHRINK):
            return None
        if sample_us == current:
            return None
        new = dataclasses.replace(attrs, sample_us=sample_us, aggr_us=max(aggr_us, sample_us))
        self.monitor.set_attrs(new)
        self.history.append((new.sample_us, new.aggr_us))
        return new


def retuner_from_args(args: argparse.Namespace, monitor) -> IntervalRetuner | None:
    """An :class:`IntervalRetuner` when the intervals are ours to change, else None.

    None when the user gave ``--sample`` or ``--aggr``, a DAMOS preset (or profile) set
    its own intervals, ``--intervals-goal`` auto-tunes them, the target is not a
    wall-clock ops, or the ops cannot re-measure its cost (page idle, paddr, the sim).
    """
    ops = monitor.ops
    if ops.clock != "wall" or not callable(getattr(ops, "retune_hint", None)):
        return None
    if getattr(args, "sample", None) is not None or getattr(args, "aggr", None) is not None:
        return None
    if getattr(args, "preset", None) or getattr(args, "profile", None):
        return None  # a DAMOS preset's intervals are the module's parameters
    goal = getattr(monitor.attrs, "intervals_goal", None)
    if goal is not None and getattr(goal, "aggrs", 0):
        return None  # the intervals auto-tuner (--intervals-goal) owns the intervals
    if getattr(ops, "access_check", "") != "clear_refs":
        return None
    return IntervalRetuner(monitor)
