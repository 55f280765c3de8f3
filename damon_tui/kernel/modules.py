"""DAMON_RECLAIM / DAMON_LRU_SORT module parameters on the real kernel.

:func:`apply` validates everything first with the presets' own validation
(``damon_tui.damos.presets``): the kernel's current values, then the profile, then
``--param``; an invalid set, or a parameter this kernel lacks, writes nothing.  Then it
writes the parameters given and ``enabled=Y`` (or ``commit_inputs=Y`` when the
module is already enabled).  :func:`read_params` gives the current values.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from damon_tui.damos.presets import Preset, parse_params, preset_config
from damon_tui.errors import UserError
from damon_tui.kernel.sysfs import KernelLacks, Paths, SysfsIO


def params_dir(paths: Paths, preset: Preset) -> Path:
    d = paths.module_params(preset.module)
    if not d.is_dir():
        raise KernelLacks(f"{d}: {preset.title} is not built into this kernel "
                          f"(CONFIG_{preset.module.upper()})")
    return d


def read_params(io: SysfsIO, paths: Paths, preset: Preset) -> dict[str, str]:
    """Every parameter file of the module, name -> text (in the kernel's order of ours)."""
    d = params_dir(paths, preset)
    known = [p.name for p in preset.params]
    names = sorted((p.name for p in d.iterdir() if p.is_file()),
                   key=lambda n: (known.index(n) if n in known else len(known), n))
    out = {}
    for n in names:
        text = io.read_opt(d / n)
        out[n] = "?" if text is None else text
    return out


def _kernel_values(preset: Preset, current: Mapping[str, str]) -> dict[str, Any]:
    """The kernel's current input values in our units (unparsable ones left default)."""
    values = preset.defaults()
    for p in preset.inputs():
        if p.name in current:
            try:
                values[p.name] = p.parse(current[p.name])
            except ValueError:
                pass
    return values


def apply(io: SysfsIO, paths: Paths, preset: Preset, explicit: Mapping[str, Any],
          param_args: list[str]) -> list[str]:
    """Validate, then write the parameters and enable / commit. Returns report lines."""
    d = params_dir(paths, preset)
    current = read_params(io, paths, preset)
    base = _kernel_values(preset, current)
    values = parse_params(preset, dict(explicit), base=base, source="--profile")
    values = parse_params(preset, param_args, base=values)
    preset_config(preset, values)  # UserError naming the field: nothing written
    names = list(explicit) + [a.split("=", 1)[0].strip().removeprefix(f"{preset.module}.")
                              for a in param_args]
    to_write = []
    for name in dict.fromkeys(names):
        if name in ("enabled", "commit_inputs"):
            raise UserError(f"--param {name}: damon-tui sets {name} itself (use preset "
                            "apply / preset disable)")
        if name not in current:
            raise KernelLacks(f"{d / name}: this kernel's {preset.title} has no parameter "
                              f"{name!r}; nothing was written")
        to_write.append((name, preset.param(name).format(values[name])))
    enabled = current.get("enabled") == "Y"
    lines = []
    for name, text in to_write:
        io.write(d / name, text)
        lines.append(f"{preset.module}.{name} = {text}")
    if enabled:
        io.write(d / "commit_inputs", "Y")
        consumed = _wait_consumed(io, d / "commit_inputs")
        lines.append(f"{preset.title} was enabled: commit_inputs=Y written"
                     + ("; the module read the new inputs" if consumed else
                        "; the module has not read them yet (commit_inputs still Y)"))
    else:
        io.write(d / "enabled", "Y")
        pid = io.read_opt(d / "kdamond_pid")
        lines.append(f"{preset.title} enabled (kdamond_pid {pid})")
    return lines


def _wait_consumed(io: SysfsIO, path: Path, timeout_s: float = 3.0) -> bool:
    """Older kernels read ``commit_inputs`` asynchronously and reset it to N."""
    deadline = time.monotonic() + timeout_s
    while True:
        if io.read_opt(path) != "Y":
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def disable(io: SysfsIO, paths: Paths, preset: Preset) -> str:
    d = params_dir(paths, preset)
    if io.read_opt(d / "enabled") != "Y":
        return f"{preset.title} is not enabled; nothing written"
    io.write(d / "enabled", "N")
    return f"{preset.title} disabled"


class KernelModule:
    """The real module behind the TUI presets screen (``Module``'s interface).

    Inputs are written to the parameter files as they are set; ``enabled=Y`` and
    ``commit_inputs=Y`` validate every input first (presets' validation) and write
    those the screen changed in place.  The module's schemes run in its own kdamond,
    so ``running`` stays None (they are not added to ours); statistics are read from
    the files.
    """

    def __init__(self, preset: Preset, io: SysfsIO, paths: Paths) -> None:
        self.preset = preset
        self.io = io
        self.paths = paths
        self.dir = params_dir(paths, preset)
        self.inputs = _kernel_values(preset, read_params(io, paths, preset))
        self.running = None
        self.running_inputs = None
        self.kdamond_pid: int | None = None  # the screen sets it; the file is the truth

    @property
    def enabled(self) -> bool:
        return self.io.read_opt(self.dir / "enabled") == "Y"

    def _sync_inputs(self) -> None:
        preset_config(self.preset, self.inputs)  # UserError: nothing written
        current = _kernel_values(self.preset, read_params(self.io, self.paths, self.preset))
        for p in self.preset.inputs():
            if self.inputs.get(p.name) != current.get(p.name) and (self.dir / p.name).exists():
                self.io.write(self.dir / p.name, p.format(self.inputs[p.name]))

    def write(self, name: str, value: Any) -> None:
        p = self.preset.param(name)
        if p.readonly:
            raise UserError(f"{self.preset.title}.{name}: read-only parameter")
        try:
            v = p.parse(value)
        except ValueError as e:
            raise UserError(f"{self.preset.title}.{name}: {e}") from None
        if name == "enabled":
            if v and not self.enabled:
                self._sync_inputs()
                self.io.write(self.dir / "enabled", "Y")
            elif not v and self.enabled:
                self.io.write(self.dir / "enabled", "N")
            return
        if name == "commit_inputs":
            if v and self.enabled:
                self._sync_inputs()
                self.io.write(self.dir / "commit_inputs", "Y")
            return
        if not (self.dir / name).exists():
            raise KernelLacks(f"{self.dir / name}: this kernel's {self.preset.title} has no "
                              f"parameter {name!r}")
        self.io.write(self.dir / name, p.format(v))
        self.inputs[name] = v

    def read(self, name: str) -> str:
        text = self.io.read_opt(self.dir / name)
        return "-" if text is None else text

    def update_stats(self, stats: tuple) -> None:
        """Nothing: the kernel keeps the statistics in the files."""
