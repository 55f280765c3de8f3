"""``whatif`` options: ``--sweep NAME=V1,V2,...`` over a preset parameter or a
``{NAME}`` placeholder in the ``--schemes`` text, one validated configuration per value."""

from __future__ import annotations

import argparse
from pathlib import Path

from damon_tui.engine import Attrs
from damon_tui.errors import UserError
from damon_tui.options.schemes import config_from_args
from damon_tui.units import UnitError, parse_size
from damon_tui.whatif import WhatifConfig

#: the TUI what-if screen's first sweep
DEFAULT_SPEC = "reclaim min_age=5s,30s,2m"


def parse_sweep(text: str | None) -> tuple[str, list[str]] | None:
    """``NAME=V1,V2,...`` -> ``(NAME, [V1, V2, ...])``; ``UserError`` when malformed."""
    if text is None:
        return None
    name, sep, values = text.partition("=")
    name = name.strip()
    vals = [v.strip() for v in values.split(",")]
    if not sep or not name or not values.strip() or any(not v for v in vals):
        raise UserError(f"--sweep {text!r}: expected NAME=V1,V2,... (e.g. min_age=30s,2m)")
    return name, vals


def sweep_configs(args: argparse.Namespace, attrs: Attrs) -> list[WhatifConfig]:
    """One validated configuration per swept value (or one without ``--sweep``).

    With a preset, ``NAME`` is a module parameter validated as ``--param NAME=V``;
    with ``--schemes``, the scheme text holds ``{NAME}`` where each value goes.  Every
    value is validated before anything runs.
    """
    sweep = parse_sweep(getattr(args, "sweep", None))
    has_preset = bool(getattr(args, "preset", None) or getattr(args, "profile", None))
    if not has_preset and not getattr(args, "schemes", None):
        raise UserError("give what to replay: --schemes ... or --preset reclaim|lru_sort")
    if sweep is None:
        schemes, new_attrs = config_from_args(args, attrs)
        return [WhatifConfig("as given", "", schemes, new_attrs)]
    name, values = sweep
    out = []
    for v in values:
        ns = argparse.Namespace(**vars(args))
        if has_preset:
            ns.param = [*(args.param or []), f"{name}={v}"]
        else:
            text = _scheme_text(args.schemes)
            if "{" + name + "}" not in text:
                raise UserError(f"--sweep {name}: the --schemes text has no {{{name}}} "
                                f"placeholder to put the values in")
            ns.schemes = text.replace("{" + name + "}", v)
        try:
            schemes, new_attrs = config_from_args(ns, attrs)
        except UserError as e:
            raise UserError(f"--sweep {name}={v}: {e}") from None
        out.append(WhatifConfig(f"{name}={v}", v, schemes, new_attrs))
    return out


def _scheme_text(arg: str) -> str:
    """The ``--schemes`` text: a file's content when it names a file, else itself."""
    if len(arg) < 4096 and "\n" not in arg:
        p = Path(arg)
        if p.is_file():
            try:
                return p.read_text()
            except (OSError, UnicodeDecodeError) as e:
                raise UserError(f"{arg}: cannot read scheme file: {e}") from None
    return arg


def parse_spec(text: str) -> argparse.Namespace:
    """``PRESET NAME=V1,V2,... [NAME=VALUE ...]`` -> the options ``sweep_configs`` takes.

    The first ``NAME=`` with commas is the sweep; ``mem_total=SIZE`` is the modelled
    memory (``--mem-total``); other ``NAME=VALUE`` are ``--param``.
    """
    words = text.split()
    if not words or words[0] not in ("reclaim", "lru_sort"):
        raise UserError(f"{text!r}: expected 'reclaim|lru_sort NAME=V1,V2,...' such as "
                        f"{DEFAULT_SPEC!r}")
    sweep = None
    params = []
    mem_total = None
    for w in words[1:]:
        if w.startswith("mem_total="):
            try:
                mem_total = parse_size(w.partition("=")[2], "mem_total")
            except UnitError as e:
                raise UserError(str(e)) from None
        elif sweep is None and "," in w:
            sweep = w
        else:
            params.append(w)
    return argparse.Namespace(preset=words[0], profile=None, param=params,
                              profiles_dir=None, schemes=None, sweep=sweep,
                              mem_total=mem_total)
