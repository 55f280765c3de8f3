"""DAMOS for the TUI: commit schemes to a running monitor, live scheme state.

The monitor runs the user's schemes followed by the schemes of the enabled preset
module (DAMON_RECLAIM or DAMON_LRU_SORT).  Commit works as the kernel's ``commit`` file
(``damos.runtime.commit``): the new set is validated with damos' own rules; an invalid
set raises ``UserError`` and the running schemes stay.  A valid set updates the running
schemes in place (statistics and quota state kept), in the engine thread.
"""

from __future__ import annotations

from damon_tui.damos.describe import LiveState
from damon_tui.damos.io import load_schemes
from damon_tui.damos.runtime import commit as commit_schemes
from damon_tui.damos.runtime import validate_for_ops
from damon_tui.errors import UserError
from damon_tui.options.schemes import preset_from_args


def runner_of(monitor):
    """The engine's DamosRunner (``Monitor.damos``), or None."""
    return getattr(monitor, "damos", None)


def effective_schemes(app, user=None, modules=None) -> list:
    """User schemes, then each enabled module's (the order of ``Snapshot.schemes``)."""
    user = list(app.session.schemes if user is None else user)
    out = list(user)
    for mod in (app.modules if modules is None else modules).values():
        if mod.running is not None:
            out.extend(mod.running.schemes)
    return out


def scheme_owners(app) -> list[str]:
    """Who owns each running scheme: ``"user"`` or a module title."""
    owners = ["user"] * len(app.session.schemes)
    for mod in app.modules.values():
        if mod.running is not None:
            owners += [mod.preset.title] * len(mod.running.schemes)
    return owners


def apply(app, schemes) -> None:
    """Validate ``schemes`` and commit them to the running monitor (UserError if invalid)."""
    monitor = app.session.monitor
    if monitor is None:
        raise UserError("commit: a replayed record cannot run schemes")
    kernel_commit = getattr(monitor, "set_schemes", None)
    if kernel_commit is not None:  # --kernel: the kernel validates; a refusal keeps them
        kernel_commit(tuple(schemes))
        return
    commit_schemes(monitor, schemes)


def set_region(app, region) -> None:
    """A module's ``monitor_region_start/end`` (None: the ops' own ranges) on every target."""
    def apply_region(m) -> None:
        for t in range(len(m.targets)):
            if region is None:
                m.clear_target_ranges(t)
            else:
                m.set_target_ranges(t, [region])

    call = getattr(app.session.monitor, "call", None)
    if call is None:  # --kernel: the kernel's module sets its own region
        return
    if region is not None and region[1] <= region[0]:
        raise UserError("monitor_region_start/monitor_region_end: empty region")
    call(apply_region)


def commit(app, user_schemes) -> str:
    """Commit the user's schemes (modules' schemes stay); return a status line."""
    user_schemes = list(user_schemes)
    apply(app, effective_schemes(app, user=user_schemes))
    app.session.schemes = user_schemes
    return f"committed {len(user_schemes)} scheme(s)"


def live_state(monitor) -> list[LiveState]:
    """Watermark activation, free memory and quota use of each running scheme."""
    runner = runner_of(monitor)
    if runner is None:
        return []
    out = []
    wm = runner.wmarks
    for i, st in enumerate(runner.states):
        q = st.quota
        out.append(LiveState(active=bool(wm.active[i]), free_permil=wm.last_metric,
                             quota_full=q.full(), esz=q.esz, charged_sz=q.charged_sz))
    return out


def snapshot_regions(snap) -> list[tuple[int, int, int, int]]:
    """Every target's ``(start, end, nr_accesses, age)`` of a snapshot (``[]``: none)."""
    if snap is None:
        return []
    return [r for t in snap.targets for r in t]


def config_from_args(args, attrs, ops):
    """``(user schemes, preset, params, attrs)`` from ``--schemes/--preset/--profile``."""
    schemes = list(load_schemes(args.schemes)) if getattr(args, "schemes", None) else []
    if schemes:
        validate_for_ops(schemes, ops, attrs.sample_us, attrs.aggr_us)
    preset, params = preset_from_args(args, attrs)
    return schemes, preset, params
