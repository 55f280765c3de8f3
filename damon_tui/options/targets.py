"""Target options shared by monitor, record and tui: which operations set to build.

``add_target_arguments`` / ``ops_from_args`` choose the operations set: ``--sim
NAME|PATH`` (+ ``--access-rate``) or a real target (``--pid``, ``--paddr``,
``--regions``, ``--access-check``, a command after ``--``).

The target group also declares the trailing ``command_line`` positional
(``argparse.REMAINDER``), so every command using the shared target options accepts
``damon-tui record -- ./app args`` without declaring anything itself.  Commands that
add positionals of their own must add them *before* calling ``add_target_arguments``
(REMAINDER swallows everything after it).
"""

from __future__ import annotations

import argparse
import subprocess
import time

from damon_tui.errors import UserError
from damon_tui.ops.launch import launch
from damon_tui.ops.paddr import PaddrOps
from damon_tui.ops.sim import SimOps
from damon_tui.ops.vaddr import FvaddrOps, VaddrOps
from damon_tui.units import UnitError, parse_percent, parse_size


def add_target_arguments(parser: argparse.ArgumentParser, default_sim: str | None = None) -> None:
    """``--sim NAME|PATH`` (+ ``--access-rate``) and the real targets."""
    group = parser.add_argument_group("target")
    parser.set_defaults(default_sim=default_sim)  # --sim stays None unless given
    group.add_argument(
        "--sim",
        metavar="NAME|PATH",
        default=None,
        help="simulated masim workload: a built-in name (see `damon-tui workloads`) or a "
        "masim config file" + (f" (default: {default_sim})" if default_sim else ""),
    )
    group.add_argument(
        "--access-rate",
        metavar="N",
        type=float,
        default=None,
        help="simulated accesses per second (default: the sim's realistic default)",
    )
    group.add_argument(
        "--sim-free-mem",
        metavar="PERCENT",
        default=None,
        help="free memory of the simulated machine before the workload's own pages "
        "(default 100%%: the workload is alone); lower it to wake DAMON_RECLAIM's and "
        "DAMON_LRU_SORT's watermarks",
    )
    add_real_target_arguments(group)


def add_real_target_arguments(group) -> None:
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


def ops_from_args(args: argparse.Namespace, seed: int = 0):
    """Build the operations set the arguments ask for."""
    sim = getattr(args, "sim", None)
    if sim and (getattr(args, "pid", None) or getattr(args, "paddr", False)
                or getattr(args, "command_line", None)):
        raise UserError("give only one target: --sim and a real target (--pid, --paddr "
                        "or -- COMMAND) were both given")
    ops = real_ops_from_args(args)
    if ops is not None:
        if getattr(args, "sim_free_mem", None) is not None:
            ops.close()
            raise UserError("--sim-free-mem: only a simulated workload (--sim) has a "
                            "modelled machine; real targets report the machine's memory")
        return ops
    sim = sim or getattr(args, "default_sim", None)
    if not sim:
        raise UserError("no target: give --sim NAME|PATH (see `damon-tui workloads`)")

    return SimOps(sim, access_rate=args.access_rate, seed=seed,
                  free_mem_permil=sim_free_mem_permil(getattr(args, "sim_free_mem", None)))


def sim_free_mem_permil(text: str | None) -> int:
    """``--sim-free-mem``: ``60%`` or ``60`` -> 600 permil; None -> 1000."""
    if text is None:
        return 1000
    value = parse_percent(text)
    if value is None:
        try:
            value = float(text)
        except ValueError:
            value = None
    if value is None or not 0 <= value <= 100:
        raise UserError(f"--sim-free-mem: expected a percentage 0..100, got {text!r}")
    return int(round(value * 10))


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


#: a command just launched may be in the middle of an exec (``sh -c '...; exec app'``):
#: its maps read empty or refused for a moment, so the ops are tried again meanwhile
LAUNCH_SETTLE_TRIES, LAUNCH_SETTLE_S = 20, 0.05


def _ops_of_launched(child: subprocess.Popen, regions, access_check: str):
    """The vaddr ops of a command we launched, retried while it is still running."""
    for attempt in range(LAUNCH_SETTLE_TRIES):
        try:
            if regions:
                return FvaddrOps(child.pid, regions, access_check=access_check, child=child)
            return VaddrOps([child.pid], access_check=access_check, child=child)
        except UserError:
            if child.poll() is not None or attempt == LAUNCH_SETTLE_TRIES - 1:
                raise
            time.sleep(LAUNCH_SETTLE_S)
    raise AssertionError  # unreachable: the last try returns or raises


def real_ops_from_args(args: argparse.Namespace):
    """The real-target ops the arguments ask for, or None (the caller falls back to
    ``--sim``)."""
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
        return PaddrOps(regions)

    if command:
        child = launch(command)
        try:
            return _ops_of_launched(child, regions, access_check)
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
    assert pid_text is not None  # the one target option chosen
    pids = _pids(pid_text)
    if regions:
        if len(pids) != 1:
            raise UserError("--regions with --pid takes exactly one process")
        return FvaddrOps(pids[0], regions, access_check=access_check)
    return VaddrOps(pids, access_check=access_check)
