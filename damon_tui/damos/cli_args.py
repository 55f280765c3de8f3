"""Command-line options shared by ``monitor`` and ``record``: schemes, presets, profiles.

``add_scheme_arguments(parser)`` adds ``--schemes``, ``--preset``, ``--param``,
``--profile`` and ``--profiles-dir``.  ``schemes_from_args(args, attrs, ops)`` returns
the schemes (validated against ``ops`` when given).

A preset's ``sample_interval`` / ``aggr_interval`` / ``min_nr_regions`` /
``max_nr_regions`` default to the command's monitoring attributes, so the module's
thresholds (min_age / aggr_interval, ...) are computed for the intervals actually
used.  Setting them with ``--param`` changes the attributes: the result is left in
``args.damos_attrs`` for the command to pass to the Monitor.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any, TextIO

from damon_tui.errors import UserError

_ATTR_PARAMS = {"sample_interval": "sample_us", "aggr_interval": "aggr_us",
                "min_nr_regions": "min_nr_regions", "max_nr_regions": "max_nr_regions"}


class _Group:
    """An argument group that skips options the command already defines."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._taken = set(parser._option_string_actions)
        self._group = parser.add_argument_group("DAMOS schemes")

    def add_argument(self, *names: str, **kw: Any) -> None:
        if not any(n in self._taken for n in names):
            self._group.add_argument(*names, **kw)


def add_scheme_arguments(parser: argparse.ArgumentParser) -> None:
    g = _Group(parser)
    g.add_argument("--schemes", metavar="FILE|TEXT",
                   help="schemes: a damo JSON file, a file of one-line schemes, or one-line "
                   "text such as \"4K max 0 0 60s max pageout\" (';' separates schemes)")
    g.add_argument("--preset", choices=("reclaim", "lru_sort"),
                   help="run the DAMON_RECLAIM or DAMON_LRU_SORT module's schemes")
    g.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a preset's module parameter (repeatable), e.g. min_age=30s")
    g.add_argument("--profile", metavar="NAME",
                   help="a saved or built-in parameter profile (see 'damon-tui preset list')")
    g.add_argument("--profiles-dir", metavar="DIR",
                   help="profile directory (default $XDG_CONFIG_HOME/damon-tui/profiles)")


def preset_from_args(args: argparse.Namespace, attrs: Any = None):
    """``(preset, params)`` from --preset / --profile / --param, or ``(None, None)``.

    With ``attrs``, the interval / region-count parameters default to it.
    """
    from damon_tui.damos.presets import get_preset, load_profile, parse_params

    preset_name = getattr(args, "preset", None)
    profile_name = getattr(args, "profile", None)
    params_args = getattr(args, "param", None) or []
    if profile_name:
        profile = load_profile(profile_name, getattr(args, "profiles_dir", None))
        if preset_name and get_preset(preset_name).name != profile.preset:
            raise UserError(f"--profile {profile_name} is a {profile.preset} profile, "
                            f"but --preset is {preset_name}")
        preset = get_preset(profile.preset)
        overrides = dict(profile.params)
    elif preset_name:
        preset = get_preset(preset_name)
        overrides = {}
    else:
        if params_args:
            raise UserError("--param needs --preset or --profile")
        return None, None
    base = preset.defaults()
    if attrs is not None:
        for param, field in _ATTR_PARAMS.items():
            base[param] = getattr(attrs, field)
    base.update(overrides)
    return preset, parse_params(preset, params_args, base=base)


def config_from_args(args: argparse.Namespace, attrs: Any) -> tuple[tuple, Any]:
    """``(schemes, attrs)``: the preset's attributes replace ``attrs`` when given."""
    from damon_tui.damos.io import load_schemes
    from damon_tui.damos.presets import preset_config

    schemes: tuple = ()
    preset, params = preset_from_args(args, attrs)
    if preset is not None:
        cfg = preset_config(preset, params)
        for note in cfg.notes:
            import sys
            print(f"# note: {note}", file=sys.stderr)
        schemes += cfg.schemes
        from damon_tui.engine import IntervalsGoal

        try:
            goal = IntervalsGoal(*cfg.intervals_goal) if cfg.intervals_goal else IntervalsGoal()
            attrs = replace(attrs, sample_us=cfg.sample_us, aggr_us=cfg.aggr_us,
                            min_nr_regions=cfg.min_nr_regions,
                            max_nr_regions=cfg.max_nr_regions, intervals_goal=goal)
        except ValueError as e:
            raise UserError(f"{preset.title}: {e}") from None
    if getattr(args, "schemes", None):
        schemes += load_schemes(args.schemes)
    return schemes, attrs


def schemes_from_args(args: argparse.Namespace, attrs: Any, ops: Any = None) -> tuple:
    """The schemes of the options (``()`` when none), validated for ``ops`` if given.

    Sets ``args.damos_attrs`` to the attributes a preset asks for.
    """
    from damon_tui.damos.runtime import validate_for_ops

    schemes, new_attrs = config_from_args(args, attrs)
    args.damos_attrs = new_attrs
    if schemes and ops is not None:
        validate_for_ops(schemes, ops, new_attrs.sample_us, new_attrs.aggr_us)
    return schemes


def scheme_summary_lines(monitor: Any) -> list[str]:
    """Per-scheme statistics and, for the sim, memory saved / refaults / slowdown."""
    from damon_tui.units import format_size, format_time_us

    runner = getattr(monitor, "damos", None)
    if runner is None:
        return []
    lines = ["# DAMOS schemes:"]
    how = "modelled" if getattr(runner, "_modelled", False) else "measured"
    for i, (s, st) in enumerate(zip(runner.schemes, runner.stats(), strict=True)):
        charged_us = runner.states[i].quota.total_charged_ns / 1000
        lines.append(
            f"#   {i} {s.action}: tried {st.nr_tried} regions ({format_size(st.sz_tried)}), "
            f"applied {st.nr_applied} ({format_size(st.sz_applied)}), quota exceeded "
            f"{st.qt_exceeds} times, action time {format_time_us(charged_us)} ({how}), "
            f"{'active' if st.active else 'inactive'}")
    lines.append(f"#   wall time in DAMOS passes {format_time_us(runner.apply_ns / 1000)} "
                 f"over {runner.nr_passes} passes; monitoring paused by watermarks "
                 f"{format_time_us(runner.wmarks.idle_us)}")
    stats_fn = getattr(monitor.ops, "stats", None)
    if callable(stats_fn) and getattr(monitor.ops, "kind", "") == "sim":
        st = stats_fn()
        saved = st.peak_rss_bytes - st.rss_bytes
        lines.append(
            f"#   sim: rss {format_size(st.rss_bytes)} (peak {format_size(st.peak_rss_bytes)},"
            f" saved {format_size(saved)}), paged out {format_size(st.bytes_paged_out)}, "
            f"refaults {st.refaults}, modelled slowdown {st.slowdown * 100:.2f}% "
            f"({st.refault_cost_us:g} us per refault), free memory {st.free_mem_rate} permil")
    return lines


def print_scheme_summary(monitor: Any, out: TextIO) -> None:
    for line in scheme_summary_lines(monitor):
        print(line, file=out)
