"""DAMON_RECLAIM / DAMON_LRU_SORT screens: parameters, enable, commit_inputs, profiles.

Each module is ``damos.presets.Module``: writes go to its inputs; ``enabled`` starts or
stops it; while enabled, changed inputs apply only on ``commit_inputs`` and an invalid
commit is refused with the running configuration kept.  The running module's schemes
join the monitor's schemes (``damos_bridge.effective_schemes``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Static

import damon_tui.damos.presets  # noqa: F401
from damon_tui.damos.describe import LiveState, describe, why_not
from damon_tui.damos.presets import (
    Module,
    boot_params,
    get_preset,
    list_profiles,
    load_profile,
    module_param_writes,
    save_profile,
)
from damon_tui.engine import IntervalsGoal
from damon_tui.errors import UserError
from damon_tui.kernel.modules import KernelModule
from damon_tui.kernel.sysfs import new_io
from damon_tui.tui import damos_bridge
from damon_tui.tui.schemes_screen import PromptScreen
from damon_tui.units import format_size, format_time_us

if TYPE_CHECKING:
    from damon_tui.tui.app import DamonApp

PRESET_NAMES = ("reclaim", "lru_sort")


def open_screen(app) -> None:
    if not app.session.live:
        app.notify("not available: presets run on a live target, not on a replay",
                   severity="warning")
        return
    app.push_screen(PresetScreen("reclaim"))


def make_modules(app) -> dict:
    """One ``Module`` per preset whose commits apply to the app's monitor."""
    paths = getattr(app.session, "kernel_paths", None)
    if paths is not None:  # --kernel: the real DAMON_RECLAIM / DAMON_LRU_SORT
        out: dict[str, Module | KernelModule] = {}
        for name in PRESET_NAMES:
            try:
                out[name] = KernelModule(get_preset(name), new_io(), paths)
            except UserError:
                out[name] = Module(get_preset(name))  # not built in: the emulation
        return out
    modules = {}
    for name in PRESET_NAMES:
        modules[name] = Module(get_preset(name), on_commit=_committer(app, name),
                               busy=_other_running(app, name))
    return modules


def _other_running(app, name: str):
    def busy() -> str | None:
        return next((m.preset.title for k, m in app.modules.items()
                     if k != name and m.enabled), None)
    return busy


def _committer(app, name: str):
    def on_commit(cfg) -> None:
        # the module's ``running`` is already ``cfg``: the order of scheme_owners
        damos_bridge.apply(app, damos_bridge.effective_schemes(app))
        _apply_attrs(app, cfg)
        damos_bridge.set_region(app, cfg.monitor_region)
    return on_commit


def _apply_attrs(app, cfg) -> None:
    """The module's monitoring attributes (sample/aggr/regions) for the monitor."""
    monitor = app.session.monitor
    a = monitor.attrs
    goal = IntervalsGoal(*cfg.intervals_goal) if cfg.intervals_goal else IntervalsGoal()
    new = replace(a, sample_us=cfg.sample_us, aggr_us=cfg.aggr_us,
                  min_nr_regions=cfg.min_nr_regions, max_nr_regions=cfg.max_nr_regions,
                  intervals_goal=goal)
    if new != a:
        monitor.set_attrs(new)  # thread-safe; served even during watermark waits
        app.session.attrs = new


def write(app, module, name: str, value) -> str:
    """``module.write`` that keeps the module and the monitor consistent on refusal."""
    saved = (module.running, module.running_inputs)
    try:
        module.write(name, value)
    except UserError:
        module.running, module.running_inputs = saved
        raise
    if name == "enabled" and not module.enabled and saved[0] is not None:
        damos_bridge.apply(app, damos_bridge.effective_schemes(app))
        damos_bridge.set_region(app, None)
    return f"{module.preset.title}.{name} = {module.read(name)}"


def enable_from_args(app, preset, params) -> None:
    """``--preset`` / ``--profile``: load the parameters and enable the module."""
    module = app.modules[preset.name]
    for k, v in params.items():
        if k not in ("enabled", "commit_inputs") and not preset.param(k).readonly:
            module.inputs[k] = v
    write(app, module, "enabled", "Y")


def _human(p, value: str) -> str:
    """``120000000 (2 m)``: the raw value with a readable form for times and sizes."""
    if not value.isdigit() or value == "0":
        return value
    v = int(value)
    if p.kind == "us":
        return f"{value} ({format_time_us(v)})"
    if p.kind == "ms":
        return f"{value} ({format_time_us(v * 1000)})"
    if p.kind == "bytes" and v >= 1024:
        return f"{value} ({format_size(v, 1)})"
    return value


def _stat_words(mod) -> str:
    """The module's read-only statistics in one or two short lines."""
    r = mod.read

    def size(name: str) -> str:
        return format_size(int(r(name)), 1)

    if mod.preset.name == "reclaim":
        return (f"tried {r('nr_reclaim_tried_regions')} regions "
                f"({size('bytes_reclaim_tried_regions')}) · reclaimed "
                f"{r('nr_reclaimed_regions')} ({size('bytes_reclaimed_regions')}) · "
                f"quota exceeded {r('nr_quota_exceeds')}x")
    parts = []
    for temp in ("hot", "cold"):
        parts.append(f"{temp}: tried {r(f'nr_lru_sort_tried_{temp}_regions')} "
                     f"({size(f'bytes_lru_sort_tried_{temp}_regions')}) sorted "
                     f"{r(f'nr_lru_sorted_{temp}_regions')} "
                     f"({size(f'bytes_lru_sorted_{temp}_regions')}) quota exceeded "
                     f"{r(f'nr_{temp}_quota_exceeds')}x")
    return "\n".join(parts)


def module_summary(mod, live, regions, sample_us: int, aggr_us: int) -> Text:
    """State, running schemes in words with why they (do not) act, and statistics."""
    out = Text()
    if not mod.enabled:
        out.append("disabled: ", style="bold")
        out.append("y enables it with the inputs below", style="dim")
        return out
    pending = any(mod.running_inputs.get(k) != v for k, v in mod.inputs.items()
                  if k not in ("enabled", "commit_inputs"))
    out.append(f"running (kdamond {mod.read('kdamond_pid')}) · ", style="bold")
    out.append("inputs changed (*): c commits them" if pending
               else "inputs committed", style="yellow" if pending else "green")
    for i, scheme in enumerate(mod.running.schemes):
        out.append("\n")
        out.append(describe(scheme, aggr_us), style="dim")
        lv = live[i] if i < len(live) else LiveState()
        why = why_not(scheme, lv, regions, sample_us, aggr_us)
        out.append("\n  ")
        out.append(why, style="green" if why.startswith("acting") else "yellow")
    out.append("\n" + _stat_words(mod))
    return out


class ExportScreen(ModalScreen):
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 90%; height: auto; max-height: 90%; border: thick $primary;
                              background: $surface; padding: 0 1; }
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.text))
        yield Footer(compact=True)


class PresetScreen(Screen):
    """Every parameter of one module with unit, defaults and help; live statistics."""

    if TYPE_CHECKING:  # the app this screen is pushed on (Textual types it App[Any])
        app: DamonApp

    BINDINGS = [
        Binding("tab", "other", "Other"),
        Binding("enter", "edit", "Edit", show=False),
        Binding("y", "enable", "Enable"),
        Binding("c", "commit", "Commit"),
        Binding("s", "save", "Save"),
        Binding("l", "load", "Load"),
        Binding("x", "export", "Export"),
        Binding("escape", "back", "Back"),
    ]

    DEFAULT_CSS = """
    PresetScreen #title { height: 1; padding: 0 1; background: $panel; }
    PresetScreen #summary { height: auto; max-height: 8; padding: 0 1; }
    PresetScreen #status { height: auto; padding: 0 1; }
    PresetScreen #params { height: 1fr; min-height: 4; }
    PresetScreen #help { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.preset_name = name

    @property
    def module(self):
        return self.app.modules[self.preset_name]

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        yield Static(id="summary")
        yield Static(id="status")
        yield DataTable(id="params", cursor_type="row")
        yield Static(id="help")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._docs_column: bool | None = None
        self.fill()
        self.set_status(Text("enter edits a parameter; y enables; c commits inputs while "
                             "enabled", style="dim"))
        self.set_interval(0.5, self.fill)

    def on_resize(self) -> None:
        if self.is_mounted:
            self.fill()

    def fill(self) -> None:
        """State and statistics at the top, then the writable parameters."""
        mod = self.module
        preset = mod.preset
        mod.kdamond_pid = self.app.pid_provider()
        snap = self.app.feed.latest
        owners = damos_bridge.scheme_owners(self.app)
        if mod.running is not None and snap is not None and snap.schemes:
            mine = tuple(st for st, o in zip(snap.schemes, owners, strict=False)
                         if o == preset.title)
            if mine:
                mod.update_stats(mine)
        title = self.query_one("#title", Static)
        state = Text("enabled", style="bold green") if mod.enabled else Text("disabled",
                                                                            style="dim")
        title.update(Text.assemble((preset.title, "bold"), " · ", state,
                                   f" · tab: {self._other()}"))
        monitor = self.app.session.monitor
        live = [lv for lv, o in zip(damos_bridge.live_state(monitor), owners, strict=False)
                if o == preset.title] if monitor is not None else []
        self.query_one("#summary", Static).update(
            module_summary(mod, live, damos_bridge.snapshot_regions(snap),
                           snap.sample_us if snap is not None else monitor.attrs.sample_us,
                           snap.aggr_us if snap is not None else monitor.attrs.aggr_us))
        table = self.query_one("#params", DataTable)
        docs_column = (self.size.width or self.app.size.width) >= 100  # fits 80 without
        if docs_column != self._docs_column:
            self._docs_column = docs_column
            table.clear(columns=True)
            table.add_columns("parameter", "value", "unit", "default",
                              *(("docs",) if docs_column else ()))
        row = table.cursor_row
        rows = []
        for p in self.params:
            value = mod.read(p.name)
            docs = p.docs_value
            docs_text = "-" if docs is None else p.format(docs)
            differs = docs is not None and docs != p.default
            changed = (mod.running_inputs is not None and p.name in mod.running_inputs
                       and mod.running_inputs[p.name] != mod.inputs.get(p.name))
            rows.append((p.name + (" *" if changed else ""), _human(p, value), p.unit,
                         p.format(p.default),
                         Text(docs_text, style="yellow") if differs else docs_text)
                        [:5 if docs_column else 4])
        table.clear()
        table.add_rows(rows)
        if rows:
            table.move_cursor(row=min(row, len(rows) - 1))
        self._show_help()

    @property
    def params(self) -> list:
        """The writable parameters (the read-only statistics are in the summary)."""
        return [p for p in self.module.preset.params if not p.readonly]

    def _other(self) -> str:
        return next(n for n in PRESET_NAMES if n != self.preset_name)

    def _current_param(self):
        table = self.query_one("#params", DataTable)
        params = self.params
        return params[min(table.cursor_row, len(params) - 1)]

    def _show_help(self) -> None:
        p = self._current_param()
        newer = " Added by newer kernels." if p.newer else ""
        docs = p.docs_value
        if docs is None:
            note = " docs: the admin-guide states no default."
        elif docs != p.default:
            note = (f" docs: the admin-guide says {p.format(docs)}; newer kernels use "
                    f"{p.format(p.default)}.")
        else:
            note = ""
        legend = ("  [docs column: the default the kernel's admin-guide states; yellow = "
                  "differs, - = not stated; * = input not yet committed]"
                  if self._docs_column else "  [* = input not yet committed]")
        self.query_one("#help", Static).update(
            Text.assemble(f"{p.name}: {p.help}{newer}{note}", (legend, "dim")))

    def on_data_table_row_highlighted(self, _event) -> None:
        self._show_help()

    def on_data_table_row_selected(self, _event) -> None:
        self.action_edit()

    def set_status(self, text) -> None:
        self.query_one("#status", Static).update(text)

    def do_write(self, name: str, value) -> bool:
        try:
            msg = write(self.app, self.module, name, value)
        except UserError as e:
            self.set_status(Text(f"refused: {e}", style="bold red"))
            self.fill()
            return False
        if name == "commit_inputs":
            msg = f"committed: {self.module.preset.title} now runs the inputs"
        elif name == "enabled":
            msg = (f"enabled: {self.module.preset.title} runs the inputs"
                   if self.module.enabled else f"disabled: {self.module.preset.title} stopped")
        self.set_status(Text(msg, style="green"))
        self.fill()
        self.app.refresh_views(force=True)
        return True

    # -- actions ------------------------------------------------------------------
    def action_edit(self) -> None:
        p = self._current_param()
        if p.readonly:
            self.set_status(Text(f"{p.name} is a read-only statistic", style="yellow"))
            return
        current = self.module.read(p.name)

        def done(value: str | None) -> None:
            if value is not None:
                self.do_write(p.name, value)

        self.app.push_screen(PromptScreen(f"{self.module.preset.title}.{p.name} "
                                          f"({p.unit or 'value'}): {p.help}", value=current),
                             done)

    def action_enable(self) -> None:
        self.do_write("enabled", "N" if self.module.enabled else "Y")

    def action_commit(self) -> None:
        if not self.module.enabled:
            self.set_status(Text("commit_inputs applies to an enabled module; press y",
                                 style="yellow"))
            return
        self.do_write("commit_inputs", "Y")

    def action_other(self) -> None:
        self.app.switch_screen(PresetScreen(self._other()))

    def action_save(self) -> None:
        def done(value: str | None) -> None:
            if value:
                self.save(value)

        self.app.push_screen(PromptScreen("Save the inputs as profile (name)",
                                          "my-reclaim"), done)

    def save(self, name: str, directory: str | None = None) -> Path | None:
        try:
            path = save_profile(name, self.module.preset, self.module.inputs,
                                directory=directory or self.app.profiles_dir)
        except (UserError, OSError) as e:
            self.set_status(Text(f"save failed: {e}", style="bold red"))
            return None
        self.set_status(Text(f"saved profile {name} to {path}", style="green"))
        return path

    def action_load(self) -> None:
        names = ", ".join(p.name for p in list_profiles(self.app.profiles_dir)
                          if p.preset == self.preset_name)

        def done(value: str | None) -> None:
            if value:
                self.load(value)

        self.app.push_screen(PromptScreen(f"Load profile ({names})"), done)

    def load(self, name: str) -> bool:
        """Load a profile's parameters into the inputs (commit_inputs applies them)."""
        try:
            profile = load_profile(name, self.app.profiles_dir)
        except UserError as e:
            self.set_status(Text(f"load failed: {e}", style="bold red"))
            return False
        if profile.preset != self.preset_name:
            self.set_status(Text(f"{name} is a {profile.preset} profile", style="bold red"))
            return False
        mod = self.module
        for k, v in profile.params.items():
            if k not in ("enabled", "commit_inputs") and not mod.preset.param(k).readonly:
                mod.inputs[k] = v
        hint = "; c commits them" if mod.enabled else "; y enables"
        self.set_status(Text(f"loaded profile {name}{hint}", style="green"))
        self.fill()
        return True

    def export_text(self) -> str:
        mod = self.module
        return ("# kernel command line\n" + boot_params(mod.preset, mod.inputs) +
                "\n\n" + module_param_writes(mod.preset, mod.inputs))

    def action_export(self) -> None:
        self.app.push_screen(ExportScreen(self.export_text()))

    def action_back(self) -> None:
        self.app.pop_screen()
