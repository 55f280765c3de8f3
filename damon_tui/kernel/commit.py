"""``damon-tui commit``: change a running kdamond of ours; the kernel validates.

Attribute values go to the kernel as given (the kernel is the judge); schemes replace
the user's schemes and keep damon-tui's snapshot schemes (the last ones).  When the
kernel refuses, the input files are put back as they were, so the files and the
running context agree, and the message shows them read back.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping
from pathlib import Path

from damon_tui.kernel import ownership
from damon_tui.kernel.session import (
    COMMIT_SETTLE_S,
    busy_command,
    restart_after_refused_commit,
    stopped_by_commit,
)
from damon_tui.kernel.sysfs import KernelError, Paths, SysfsIO
from damon_tui.kernel.tree import (
    attrs_refusal,
    read_dir,
    read_inputs,
    snapshot_schemes,
    write_inputs,
    write_scheme,
)
from damon_tui.units import format_time_us

#: commit option -> file under monitoring_attrs/
ATTR_FILES = {"sample_us": "intervals/sample_us", "aggr_us": "intervals/aggr_us",
              "update_us": "intervals/update_us", "min_nr_regions": "nr_regions/min",
              "max_nr_regions": "nr_regions/max"}


def pick_ours(io: SysfsIO, paths: Paths, index: int | None) -> ownership.KdamondState:
    states = ownership.kdamond_states(io, paths)
    if index is not None:
        match = [st for st in states if st.index == index]
        if not match:
            raise KernelError(f"{paths.kdamonds}: no kdamond {index} (nr_kdamonds is "
                              f"{len(states)})")
        st = match[0]
        if not st.ours:
            raise KernelError(f"{st.describe()} was not started by damon-tui: damon-tui "
                              "never writes it")
    else:
        ours = [st for st in states if st.ours and st.running]
        if len(ours) != 1:
            raise KernelError(f"{len(ours)} running kdamonds of damon-tui at {paths.kdamonds}:"
                              " name one with --kdamond N" if ours else
                              "no running kdamond was started by damon-tui (see `damon-tui "
                              "status`)")
        st = ours[0]
    if not st.running:
        raise KernelError(f"{st.describe()} is off: nothing to commit to")
    return st


def summary(ctx: Mapping) -> str:
    """One line of a context read back: intervals, regions, schemes."""
    ma = ctx.get("monitoring_attrs", {})
    iv, nr = ma.get("intervals", {}), ma.get("nr_regions", {})
    schemes = [s.get("action", "?") for s in ctx.get("schemes", {}).get("items", [])]
    return (f"sample {format_time_us(iv.get('sample_us', 0))}, aggr "
            f"{format_time_us(iv.get('aggr_us', 0))}, update "
            f"{format_time_us(iv.get('update_us', 0))}, regions {nr.get('min')}.."
            f"{nr.get('max')}, schemes {', '.join(schemes) or 'none'}")


def _attrs_refusal(ctx: Path, old: Mapping, attrs: Mapping[str, int]) -> str | None:
    """The kernel's refusal of the attributes as they would be after the change."""
    ma = old.get("monitoring_attrs", {})
    iv, nr = ma.get("intervals", {}), ma.get("nr_regions", {})
    now = {"sample_us": iv.get("sample_us"), "aggr_us": iv.get("aggr_us"),
           "min_nr_regions": nr.get("min"), "max_nr_regions": nr.get("max"), **attrs}
    if any(not isinstance(v, int) for v in now.values()):
        return None  # unreadable: the kernel judges
    return attrs_refusal(ctx, now["sample_us"], now["aggr_us"], now["min_nr_regions"],
                         now["max_nr_regions"])


def commit(io: SysfsIO, paths: Paths, index: int | None, attrs: Mapping[str, int],
           schemes: tuple | None, settle_s: float = COMMIT_SETTLE_S) -> list[str]:
    """Write the changes, ``commit``; on refusal restore and raise (one sentence)."""
    st = pick_ours(io, paths, index)
    kdir = paths.kdamond(st.index)
    ctx = kdir / "contexts/0"
    old = read_inputs(io, ctx)
    refusal = _attrs_refusal(ctx, old, attrs)
    if refusal:
        raise KernelError(f"{refusal}; nothing was written: the kdamond keeps its running "
                          "configuration")
    try:
        for name, value in attrs.items():
            io.write(ctx / "monitoring_attrs" / ATTR_FILES[name], value)
        if schemes is not None:
            _write_schemes(io, ctx, st, schemes)
        busy_command(io, kdir / "state", "commit")
    except KernelError as e:
        restored = _restore(io, ctx, old)
        back = read_inputs(io, ctx)
        raise KernelError(f"{e}; the kdamond keeps its running configuration"
                          + (f" (files restored, read back: {summary(back)})" if restored
                             else " (restoring the files failed; see `damon-tui status`)"),
                          e.errno, e.path) from None
    if stopped_by_commit(io, kdir, settle_s):
        message, _ = restart_after_refused_commit(io, paths, st.index,
                                                  lambda: write_inputs(io, ctx, old))
        raise KernelError(message, errno.EINVAL, str(kdir / "state"))
    return [f"kdamond {st.index} (pid {st.pid}): committed; now {summary(read_inputs(io, ctx))}"]


def _write_schemes(io: SysfsIO, ctx: Path, st: ownership.KdamondState, schemes: tuple) -> None:
    iv = read_dir(io, ctx / "monitoring_attrs/intervals")
    sample_us, aggr_us = int(iv["sample_us"]), int(iv["aggr_us"])
    nr_targets = io.read_int(ctx / "targets/nr_targets")
    k = st.owner.nr_snapshot_schemes if st.owner else 0
    all_schemes = tuple(schemes) + (snapshot_schemes(nr_targets) if k else ())
    io.write(ctx / "schemes/nr_schemes", len(all_schemes))
    for i, s in enumerate(all_schemes):
        write_scheme(io, ctx / "schemes" / str(i), s, sample_us, aggr_us)


def _restore(io: SysfsIO, ctx: Path, old: dict) -> bool:
    try:
        write_inputs(io, ctx, old)
    except KernelError:
        return False
    return True
