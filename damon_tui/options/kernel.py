"""Kernel DAMON options: ``--kernel`` and the injectable paths; build a :class:`KernelMonitor`.

The targets are ``--pid PID[,PID...]`` (vaddr; with ``--regions``: fvaddr),
``--paddr`` (the biggest System RAM range, like damo, or ``--regions``) or
``--regions`` alone (physical ranges).  Attributes and schemes come from the usual
options; everything is validated before the kernel's tree is touched.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path

from damon_tui.errors import UserError
from damon_tui.kernel.session import KernelMonitor, KernelOps, KernelSession
from damon_tui.kernel.sysfs import (
    DEFAULT_STATE_DIR,
    DEFAULT_SYSFS_ROOT,
    Paths,
    SysfsIO,
    new_io,
)
from damon_tui.kernel.tree import KernelConfig, KernelTarget
from damon_tui.ops.base import OpsError, TargetInfo
from damon_tui.ops.procfs import ProcFS
from damon_tui.options.attrs import attrs_from_args
from damon_tui.options.schemes import schemes_from_args
from damon_tui.options.targets import _pids, parse_ranges


def _targets(args: argparse.Namespace, paths) -> tuple[str, tuple[KernelTarget, ...],
                                                       list[TargetInfo]]:
    if getattr(args, "sim", None):
        raise UserError("--kernel monitors real memory: give --pid, --paddr or --regions, "
                        "not --sim")
    command = [w for w in (getattr(args, "command_line", None) or []) if w != "--"]
    if command:
        raise UserError("--kernel does not launch commands: start the program, then give "
                        "--pid")
    pid_text = getattr(args, "pid", None)
    paddr = getattr(args, "paddr", False)
    regions_text = getattr(args, "regions", None)
    if pid_text and paddr:
        raise UserError("give only one target: --pid and --paddr were both given")
    regions = tuple(parse_ranges(regions_text)) if regions_text else ()
    if pid_text:
        pids = _pids(pid_text)
        if regions:
            if len(pids) != 1:
                raise UserError("--regions with --pid takes exactly one process")
            return ("fvaddr", (KernelTarget(pids[0], regions),),
                    [TargetInfo(0, f"pid {pids[0]} regions (kernel fvaddr)", pids[0])])
        return ("vaddr", tuple(KernelTarget(p) for p in pids),
                [TargetInfo(i, f"pid {p} (kernel vaddr)", p) for i, p in enumerate(pids)])
    if paddr or regions:
        if not regions:
            try:
                ram = ProcFS(paths.proc_root).system_ram()
            except OpsError as e:
                raise UserError(f"--paddr: {e}; give --regions") from None
            if not ram:
                raise UserError("--paddr: no System RAM in /proc/iomem; give --regions")
            regions = (max(ram, key=lambda r: r[1] - r[0]),)
        text = ",".join(f"{s:#x}-{e:#x}" for s, e in regions)
        return ("paddr", (KernelTarget(None, regions),),
                [TargetInfo(0, f"physical memory {text} (kernel paddr)")])
    raise UserError("--kernel needs a target: --pid PID, --paddr or --regions START-END")


def kernel_config_from_args(args: argparse.Namespace, paths) -> tuple[KernelConfig,
                                                                      list[TargetInfo]]:
    """Everything validated; nothing touched yet."""

    operations, targets, infos = _targets(args, paths)
    attrs = attrs_from_args(args)
    schemes = schemes_from_args(args, attrs)  # validated against our rules first
    attrs = getattr(args, "damos_attrs", None) or attrs
    for s in schemes:
        try:
            s.validate()
            s.access_pattern.validate_resolved(attrs.sample_us, attrs.aggr_us)
        except ValueError as e:
            raise UserError(f"{s.describe()}: {e}") from None
    return KernelConfig(operations, attrs, targets, tuple(schemes)), infos


def kernel_monitor_from_args(args: argparse.Namespace, io: SysfsIO | None = None
                             ) -> KernelMonitor:
    """Create, configure and turn on our kdamond; the monitor's ``ops.close()`` undoes it."""
    paths = paths_from_args(args)
    cfg, infos = kernel_config_from_args(args, paths)
    install_sigterm()
    session = KernelSession(paths, io or new_io())
    session.start(cfg)
    ops = KernelOps(session, infos, cfg.operations)
    return KernelMonitor(ops, cfg.attrs, cfg.schemes)


def install_sigterm() -> None:
    """SIGTERM -> KeyboardInterrupt in the main thread: the kdamond is turned off."""
    if threading.current_thread() is not threading.main_thread():
        return

    def _interrupt(signum, frame):
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _interrupt)


def kernel_attrs_json(monitor: KernelMonitor) -> dict:
    """The record header's ``kernel`` entry: what the kdamond runs."""
    s = monitor.session
    cfg = s.config
    return {"sysfs_root": str(s.paths.sysfs_root), "kdamond": s.index, "pid": s.pid,
            "operations": cfg.operations if cfg else None,
            "targets": [{"pid": t.pid, "regions": [list(r) for r in t.regions]}
                        for t in (cfg.targets if cfg else ())]}


def paths_from_args(args: argparse.Namespace) -> Paths:
    """``Paths`` from ``--sysfs-root`` / ``--module-root`` / ``--state-dir`` / ``--proc-root``."""
    sysfs = getattr(args, "sysfs_root", None) or os.environ.get("DAMON_TUI_SYSFS_ROOT") \
        or DEFAULT_SYSFS_ROOT
    module = getattr(args, "module_root", None)
    state = getattr(args, "state_dir", None) or os.environ.get("DAMON_TUI_STATE_DIR") \
        or DEFAULT_STATE_DIR
    proc = getattr(args, "proc_root", None) or "/"
    return Paths(Path(sysfs), Path(module) if module else None, Path(state), Path(proc))


def add_path_arguments(parser: argparse.ArgumentParser, group_title: str = "kernel DAMON"
                       ) -> None:
    """``--sysfs-root``, ``--module-root``, ``--state-dir``."""
    group = parser.add_argument_group(group_title)
    options: tuple[tuple[tuple[str, ...], dict[str, str]], ...] = (
        (("--sysfs-root",), {"metavar": "DIR", "help": "sysfs mount point holding "
                             "kernel/mm/damon/admin (default /sys)"}),
        (("--module-root",), {"metavar": "DIR", "help": "directory of the DAMON modules' "
                              "parameters: DIR/damon_reclaim/parameters (default "
                              "SYSFS_ROOT/module)"}),
        (("--state-dir",), {"metavar": "DIR", "help": "where damon-tui notes the kdamonds it "
                            "started (default /run/damon-tui)"}),
    )
    for names, kw in options:
        group.add_argument(*names, default=None, metavar=kw["metavar"], help=kw["help"])


def add_kernel_arguments(parser: argparse.ArgumentParser) -> None:
    """``--kernel`` plus the injectable kernel paths (monitor, record, tui, preset)."""
    parser.add_argument("--kernel", action="store_true",
                        help="use the kernel's own DAMON (sysfs kdamonds, DAMON modules) "
                        "instead of damon-tui's engine: needs root and a DAMON kernel")
    add_path_arguments(parser)
