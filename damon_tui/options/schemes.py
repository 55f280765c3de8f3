"""DAMOS options shared by ``monitor``, ``record`` and ``tui``: schemes, presets, profiles.

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
import sys
from dataclasses import replace
from typing import Any

from damon_tui.damos.io import load_schemes
from damon_tui.damos.presets import get_preset, load_profile, parse_params, preset_config
from damon_tui.damos.runtime import validate_for_ops
from damon_tui.engine import IntervalsGoal
from damon_tui.errors import UserError

_ATTR_PARAMS = {"sample_interval": "sample_us", "aggr_interval": "aggr_us",
                "min_nr_regions": "min_nr_regions", "max_nr_regions": "max_nr_regions"}


def add_scheme_arguments(parser: argparse.ArgumentParser,
                         preset_help: str = "run the DAMON_RECLAIM or DAMON_LRU_SORT "
                         "module's schemes",
                         profile_help: str = "a saved or built-in parameter profile (see "
                         "'damon-tui preset list')") -> None:
    """``--schemes``, ``--preset``, ``--param``, ``--profile``, ``--profiles-dir``."""
    g = parser.add_argument_group("DAMOS schemes")
    g.add_argument("--schemes", metavar="FILE|TEXT",
                   help="schemes: a damo JSON file, a file of one-line schemes, or one-line "
                   "text such as \"4K max 0 0 60s max pageout\" (';' separates schemes)")
    g.add_argument("--preset", choices=("reclaim", "lru_sort"), help=preset_help)
    g.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a preset's module parameter (repeatable), e.g. min_age=30s")
    g.add_argument("--profile", metavar="NAME", help=profile_help)
    g.add_argument("--profiles-dir", metavar="DIR",
                   help="profile directory (default $XDG_CONFIG_HOME/damon-tui/profiles)")


def preset_from_args(args: argparse.Namespace, attrs: Any = None):
    """``(preset, params)`` from --preset / --profile / --param, or ``(None, None)``.

    With ``attrs``, the interval / region-count parameters default to it.
    """
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
    schemes: tuple = ()
    preset, params = preset_from_args(args, attrs)
    if preset is not None:
        cfg = preset_config(preset, params)
        #: the module's monitor_region_start/end (x addr_unit); None: the ops' own ranges
        args.damos_region = cfg.monitor_region
        for note in cfg.notes:
            print(f"# note: {note}", file=sys.stderr)
        schemes += cfg.schemes
        try:
            goal = IntervalsGoal(*cfg.intervals_goal) if cfg.intervals_goal else IntervalsGoal()
            attrs = replace(attrs, sample_us=cfg.sample_us, aggr_us=cfg.aggr_us,
                            min_nr_regions=cfg.min_nr_regions,
                            max_nr_regions=cfg.max_nr_regions, intervals_goal=goal)
        except ValueError as e:
            raise UserError(f"{preset.title}: {e}") from None
    if getattr(args, "schemes", None):
        loaded = load_schemes(args.schemes)
        for i, s in enumerate(loaded):
            warning = s.watermarks.warning()
            if warning:
                print(f"# warning: {s.origin or f'scheme {i}'}: {warning}", file=sys.stderr)
        schemes += loaded
    return schemes, attrs


def schemes_from_args(args: argparse.Namespace, attrs: Any, ops: Any = None) -> tuple:
    """The schemes of the options (``()`` when none), validated for ``ops`` if given.

    Sets ``args.damos_attrs`` to the attributes a preset asks for.
    """
    schemes, new_attrs = config_from_args(args, attrs)
    args.damos_attrs = new_attrs
    if schemes and ops is not None:
        validate_for_ops(schemes, ops, new_attrs.sample_us, new_attrs.aggr_us)
    return schemes
