"""``damon-tui preset``: DAMON_RECLAIM / DAMON_LRU_SORT parameters, profiles and export."""

from __future__ import annotations

import argparse

NAME = "preset"
HELP = ("show, save and export DAMON_RECLAIM / DAMON_LRU_SORT parameter sets "
        "(profiles) and the schemes they make")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="preset_cmd", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser, need_name: bool = False) -> None:
        p.add_argument("preset", nargs="?" if not need_name else None,
                       choices=("reclaim", "lru_sort"),
                       help="reclaim or lru_sort (optional with --profile)")
        p.add_argument("--profile", metavar="NAME", help="start from a saved/built-in profile")
        p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="set a module parameter (repeatable)")
        p.add_argument("--profiles-dir", metavar="DIR",
                       help="profile directory (default $XDG_CONFIG_HOME/damon-tui/profiles)")

    from damon_tui.options.kernel import add_kernel_arguments

    p = sub.add_parser("show", help="parameters (name, unit, value, default, docs' default, "
                       "help) and the resulting schemes; with --kernel: the real module's "
                       "current values and read-only statistics")
    common(p)
    add_kernel_arguments(p)
    p = sub.add_parser("apply", help="with --kernel: validate, write the real module's "
                       "parameters and enable it (commit_inputs=Y when already enabled)")
    common(p, need_name=False)
    add_kernel_arguments(p)
    p = sub.add_parser("disable", help="with --kernel: disable the real module (enabled=N)")
    p.add_argument("preset", choices=("reclaim", "lru_sort"))
    add_kernel_arguments(p)
    p = sub.add_parser("list", help="built-in and saved profiles")
    p.add_argument("--profiles-dir", metavar="DIR")
    p = sub.add_parser("save", help="save the parameters as a named profile")
    p.add_argument("name", help="profile name")
    common(p)
    p.add_argument("--description", default="", help="one line describing the profile")
    p = sub.add_parser("export", help="print kernel boot parameters and module-parameter "
                       "writes for the real kernel module (nothing is written)")
    common(p)
    p.add_argument("--format", choices=("both", "boot", "sysfs", "schemes", "json"),
                   default="both", help="boot: kernel command line; sysfs: shell lines for "
                   "/sys/module/<module>/parameters; schemes: one-line schemes; json: damo "
                   "scheme JSON")
    p.add_argument("--all", action="store_true", help="include parameters at their default")


def _resolve(args: argparse.Namespace):
    from damon_tui.errors import UserError
    from damon_tui.options.schemes import preset_from_args

    if not args.preset and not args.profile:
        raise UserError("name a preset (reclaim or lru_sort) or a --profile")
    preset, params = preset_from_args(args)
    explicit: set[str] = set()
    if args.profile:
        from damon_tui.damos.presets import load_profile
        explicit |= set(load_profile(args.profile, args.profiles_dir).params)
    explicit |= {a.split("=", 1)[0].strip() for a in args.param if "=" in a}
    return preset, params, explicit


def _fmt(p, value) -> str:
    from damon_tui.units import format_size, format_time_us

    if value is None:
        return "-"
    if p.kind == "bool":
        return "Y" if value else "N"
    if p.kind == "us" and value:
        return f"{value} ({format_time_us(value)})"
    if p.kind == "bytes" and value and not p.readonly:
        return f"{value} ({format_size(value)})"
    return str(value)


def _show(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from damon_tui.damos.io import format_one_line
    from damon_tui.damos.presets import preset_config

    preset, params, _ = _resolve(args)
    cfg = preset_config(preset, params)
    import sys

    from rich.markup import escape

    console = Console() if sys.stdout.isatty() else Console(width=200)
    table = Table(title=f"{preset.title} parameters ({preset.module}.*)", show_lines=False)
    for col in ("parameter", "unit", "value", "default", "v6.0 docs", "help"):
        table.add_column(col, overflow="fold")
    for p in preset.params:
        value = params.get(p.name, p.default)
        docs = p.docs_value
        docs_txt = "not stated" if docs is None else ("(newer kernels)" if p.newer else
                                                      _fmt(p, docs))
        if docs is not None and not p.newer and docs != p.default:
            docs_txt += " (differs)"
        name = p.name + (" (read-only)" if p.readonly else "")
        val = _fmt(p, value)
        if not p.readonly and value != p.default:
            val = f"[bold]{val}[/bold]"
        table.add_row(name, p.unit, val, _fmt(p, p.default), docs_txt, escape(p.help))
    console.print(table)
    console.print(f"[bold]Schemes[/bold] (sample {cfg.sample_us} us, aggr {cfg.aggr_us} us, "
                  f"regions {cfg.min_nr_regions}..{cfg.max_nr_regions}):")
    for s in cfg.schemes:
        console.print(escape(f"  {s.origin}: {format_one_line(s, full=True)}"),
                      highlight=False)
    for n in preset.notes + cfg.notes:
        console.print(escape(f"  note: {n}"), highlight=False)
    return 0


def _list(args: argparse.Namespace) -> int:
    from damon_tui.damos.presets import list_profiles, profiles_dir

    for prof in list_profiles(args.profiles_dir):
        kind = "built-in" if prof.builtin else "saved"
        params = " ".join(f"{k}={v}" for k, v in prof.params.items())
        print(f"{prof.name:24} {prof.preset:9} {kind:8} {params}")
        if prof.description:
            print(f"{'':24} {prof.description}")
    print(f"# saved profiles: {profiles_dir(args.profiles_dir)}")
    return 0


def _save(args: argparse.Namespace) -> int:
    from damon_tui.damos.presets import preset_config, save_profile

    preset, params, _ = _resolve(args)
    preset_config(preset, params)  # refuse invalid sets before saving
    path = save_profile(args.name, preset, params, args.description, args.profiles_dir)
    print(f"saved {preset.name} profile {args.name!r} to {path}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from damon_tui.damos.io import format_one_line, schemes_to_json
    from damon_tui.damos.presets import boot_params, module_param_writes, preset_config

    preset, params, explicit = _resolve(args)
    cfg = preset_config(preset, params)
    if args.format in ("both", "boot"):
        if args.format == "both":
            print("# kernel boot parameters")
        print(boot_params(preset, params, args.all, explicit))
    if args.format in ("both", "sysfs"):
        if args.format == "both":
            print()
        print(module_param_writes(preset, params, args.all, explicit))
    if args.format == "schemes":
        for s in cfg.schemes:
            print(format_one_line(s, full=True))
    if args.format == "json":
        print(schemes_to_json(cfg.schemes))
    return 0


def _kernel(args: argparse.Namespace) -> int:
    """apply / show / disable on the real kernel module."""
    from damon_tui.damos.presets import get_preset, load_profile
    from damon_tui.errors import UserError
    from damon_tui.kernel import modules
    from damon_tui.kernel.sysfs import new_io
    from damon_tui.options.kernel import paths_from_args

    io, paths = new_io(), paths_from_args(args)
    cmd = args.preset_cmd
    if cmd == "disable":
        print(modules.disable(io, paths, get_preset(args.preset)))
        return 0
    profile = None
    if getattr(args, "profile", None):
        profile = load_profile(args.profile, args.profiles_dir)
        if args.preset and get_preset(args.preset).name != profile.preset:
            raise UserError(f"--profile {args.profile} is a {profile.preset} profile, "
                            f"not {args.preset}")
    name = args.preset or (profile.preset if profile else None)
    if not name:
        raise UserError("name a preset (reclaim or lru_sort) or a --profile")
    preset = get_preset(name)
    if cmd == "show":
        if args.param:
            raise UserError("preset show --kernel shows the kernel's values: --param is "
                            "for preset apply")
        params = modules.read_params(io, paths, preset)
        d = modules.params_dir(paths, preset)
        print(f"{preset.title} ({d}):")
        ro = {p.name for p in preset.params if p.readonly}
        for n, v in params.items():
            if n not in ro and not n.startswith(("nr_", "bytes_")):
                print(f"  {n} = {v}")
        print("  read-only statistics:")
        for n, v in params.items():
            if n in ro or n.startswith(("nr_", "bytes_")):
                print(f"    {n} = {v}")
        return 0
    for line in modules.apply(io, paths, preset, profile.params if profile else {},
                              args.param):
        print(line)
    return 0


def run(args: argparse.Namespace) -> int:
    from damon_tui.errors import UserError

    if getattr(args, "kernel", False):
        return _kernel(args)
    if args.preset_cmd in ("apply", "disable"):
        raise UserError(f"preset {args.preset_cmd} drives the kernel's module: add --kernel "
                        "(for damon-tui's own engine use --preset with monitor/record/tui)")
    return {"show": _show, "list": _list, "save": _save, "export": _export}[args.preset_cmd](args)
