"""DAMOS for the TUI: attach schemes to a running monitor, commit, live scheme state.

Commit works as the kernel's ``commit`` file: the new schemes are validated with
damos' own rules (``DamosRunner`` validates on construction); an invalid set raises
``UserError`` and the running schemes stay.  A valid set replaces the running one at
the next snapshot boundary (in the engine thread), with fresh statistics, like a
kdamond whose schemes were committed.
"""

from __future__ import annotations

from dataclasses import dataclass

from damon_tui.errors import UserError


@dataclass
class SchemeLive:
    """What the schemes panel shows for one scheme."""

    active: bool
    metric: int | None  # free memory rate (permil) at the last watermark check
    charged_sz: int  # charged in the current quota window
    esz: int  # effective size quota (0 = none)
    quota_set: bool


def runner_of(monitor):
    """The DamosRunner attached to ``monitor`` (ours or the engine's), or None."""
    return getattr(monitor, "_tui_runner", None) or getattr(monitor, "damos", None) \
        or getattr(monitor, "runner", None)


def make_runner(monitor, schemes):
    """A validated DamosRunner for ``monitor``'s ops and attrs (UserError if invalid)."""
    from damon_tui.damos.runtime import DamosRunner

    a = monitor.attrs
    return DamosRunner(tuple(schemes), monitor.ops, a.sample_us, a.aggr_us,
                       monitor.min_region_sz)


def attach(monitor, runner) -> None:
    """Make ``monitor`` call ``runner`` at the kernel's points (hooks of the engine)."""
    if runner is None or not runner.schemes:
        monitor.schemes = ()
        monitor._tui_runner = None
        for name in ("_apply_schemes", "_wait_watermarks"):
            monitor.__dict__.pop(name, None)
        return

    def apply(passed: int) -> tuple:
        return runner.apply(monitor.region_lists, passed, monitor.next_aggr, monitor.now_us,
                            monitor.region_sz_limit())

    monitor._apply_schemes = apply
    monitor._wait_watermarks = runner.wait_us
    monitor.schemes = tuple(runner.schemes)
    monitor._tui_runner = runner


def commit(app, schemes) -> str:
    """Validate and apply ``schemes`` to the running monitor; return a status line."""
    session = app.session
    monitor = session.monitor
    if monitor is None:
        raise UserError("commit: a replayed record cannot run schemes")
    schemes = tuple(schemes)
    runner = make_runner(monitor, schemes) if schemes else None  # raises if invalid

    def swap() -> None:
        attach(monitor, runner)

    app.source.call(swap, restart=True)
    session.schemes = list(schemes)
    return f"committed {len(schemes)} scheme(s)"


def live_state(monitor) -> list[SchemeLive]:
    """Watermark activation, metric and quota use of each running scheme."""
    runner = runner_of(monitor)
    if runner is None:
        return []
    out = []
    wm = runner.wmarks
    for i, st in enumerate(runner.states):
        q = st.quota
        out.append(SchemeLive(active=bool(wm.active[i]), metric=wm.last_metric,
                              charged_sz=q.charged_sz, esz=q.esz, quota_set=q.is_set))
    return out


def schemes_from_args(args, attrs, ops) -> list:
    """``--schemes FILE|LINE`` and ``--preset`` from the command line."""
    from damon_tui.damos.io import load_schemes

    out = []
    if getattr(args, "schemes", None):
        out.extend(load_schemes(args.schemes))
    if getattr(args, "preset", None):
        from damon_tui.tui import presets_model

        out.extend(presets_model.schemes_for(args.preset, getattr(args, "profile", None),
                                             attrs, ops))
    if out:
        from damon_tui.damos.runtime import validate_for_ops

        validate_for_ops(out, ops, attrs.sample_us, attrs.aggr_us)
    return out
