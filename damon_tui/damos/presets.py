"""DAMON_RECLAIM and DAMON_LRU_SORT: module parameters, their schemes, profiles, export.

Every parameter of ``reclaim.rst`` / ``lru_sort.rst`` (plus those newer kernels added)
under the same name, unit and default.  ``default`` is the newest kernel's value (what
we use); ``docs_default`` is what the v6.0 docs state (None: the docs state none).
Conversion into schemes follows the modules (damon-reference §5).  Nothing here ever
writes to ``/sys/module``: export produces text for users of the real modules.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from damon_tui.damos.scheme import (
    Accesses,
    AccessPattern,
    Age,
    Filter,
    Quota,
    QuotaGoal,
    Scheme,
    Watermarks,
    Weights,
)
from damon_tui.errors import UserError
from damon_tui.units import UINT_MAX, ULONG_MAX, UnitError, parse_size, parse_time_us

PAGE_SIZE = 4096
_SAME = object()


@dataclass(frozen=True)
class Param:
    """One module parameter."""

    name: str
    kind: str  # bool, int, us, ms, bytes, permil, bp, addr
    default: Any
    help: str
    docs_default: Any = _SAME  # _SAME: the docs state ``default``; None: not stated
    newer: bool = False  # not in the v6.0 docs (added by newer kernels)
    readonly: bool = False

    @property
    def unit(self) -> str:
        return {"bool": "Y/N", "us": "µs", "ms": "ms", "bytes": "bytes", "permil": "permil",
                "bp": "bp", "addr": "address", "int": ""}.get(self.kind, "")

    @property
    def docs_value(self) -> Any:
        return self.default if self.docs_default is _SAME else self.docs_default

    def parse(self, text: Any) -> Any:
        """A written value -> stored value; ``ValueError`` naming the expected form."""
        if self.kind == "bool":
            if isinstance(text, bool):
                return text
            s = str(text).strip().lower()
            if s in ("y", "yes", "1", "true", "on", ""):
                return True
            if s in ("n", "no", "0", "false", "off"):
                return False
            raise ValueError(f"expected Y or N, got {text!r}")
        if isinstance(text, bool):
            raise ValueError(f"expected an integer, got {text!r}")
        s = str(text).strip().replace(",", "")
        try:
            if self.kind == "us" and not s.lstrip("-").isdigit():
                return parse_time_us(s, self.name)
            if self.kind == "ms" and not s.lstrip("-").isdigit():
                return parse_time_us(s, self.name) // 1000
            if self.kind in ("bytes", "addr") and not s.lstrip("-").isdigit():
                return parse_size(s, self.name)
            value = int(s, 0)
        except UnitError as e:
            raise ValueError(str(e).split(": ", 1)[-1]) from None
        except ValueError:
            raise ValueError(f"expected an integer ({self.unit or 'number'}), got {text!r}") \
                from None
        if value < 0 and self.name != "kdamond_pid":
            raise ValueError(f"must not be negative, got {value}")
        return value

    def format(self, value: Any) -> str:
        if self.kind == "bool":
            return "Y" if value else "N"
        return str(value)


def _common_head(module: str) -> list[Param]:
    return [
        Param("enabled", "bool", False, f"Enable or disable {module}."),
        Param("commit_inputs", "bool", False,
              f"Make {module} read the input parameters again, except enabled."),
    ]


def _common_tail(module: str, what: str) -> list[Param]:
    return [
        Param("sample_interval", "us", 5000, "Sampling interval for the monitoring in "
              "microseconds.", docs_default=None if module == "DAMON_RECLAIM" else _SAME),
        Param("aggr_interval", "us", 100_000, "Aggregation interval for the monitoring in "
              "microseconds.", docs_default=None if module == "DAMON_RECLAIM" else _SAME),
        Param("min_nr_regions", "int", 10, "Minimum number of monitoring regions.",
              docs_default=None if module == "DAMON_RECLAIM" else _SAME),
        Param("max_nr_regions", "int", 1000, "Maximum number of monitoring regions.",
              docs_default=None if module == "DAMON_RECLAIM" else _SAME),
        Param("monitor_region_start", "addr", 0, "Start of target memory region in physical "
              "address (0 with end 0: automatic; the docs: the biggest System RAM, newest "
              "kernels: first to last System RAM)."),
        Param("monitor_region_end", "addr", 0, "End of target memory region in physical "
              "address (0 with start 0: automatic)."),
        Param("addr_unit", "int", 1, "Scale factor for DAMON core to physical address "
              "conversion (0 is invalid).", newer=True),
        Param("autotune_monitoring_intervals", "bool", False, "Auto-tune the sampling and "
              "aggregation intervals; Y overrides sample_interval/aggr_interval with "
              "5 ms/100 ms.", newer=True),
        Param("kdamond_pid", "int", -1, f"PID of the DAMON thread while {module} is enabled "
              "(here: the monitoring thread's id), else -1.", readonly=True),
    ]


def _stat(name: str, text: str) -> Param:
    return Param(name, "bytes" if name.startswith("bytes") else "int", 0, text, readonly=True)


RECLAIM_PARAMS: tuple[Param, ...] = tuple(_common_head("DAMON_RECLAIM") + [
    Param("min_age", "us", 120_000_000, "Time threshold for cold memory regions "
          "identification in microseconds."),
    Param("quota_ms", "ms", 10, "Limit of time for the reclamation in milliseconds "
          "(0 disables)."),
    Param("quota_sz", "bytes", 128 * 1024 * 1024, "Limit of size of memory for the "
          "reclamation in bytes per reset interval (0 disables)."),
    Param("quota_reset_interval_ms", "ms", 1000, "The time/size quota charge reset interval "
          "in milliseconds."),
    Param("quota_mem_pressure_us", "us", 0, "Desired 'some' memory PSI stall time per reset "
          "interval; the quota auto-tunes toward it (0 disables).", newer=True),
    Param("quota_autotune_feedback", "int", 0, "User feedback for quota auto-tuning; 10000 "
          "means the goal is met (0 disables).", newer=True),
    Param("wmarks_interval", "us", 5_000_000, "Minimal time to wait before checking the "
          "watermarks, when DAMON_RECLAIM is enabled but inactive due to its watermarks "
          "rule.", docs_default=None),
    Param("wmarks_high", "permil", 500, "Free memory rate (per thousand) for the high "
          "watermark.", docs_default=None),
    Param("wmarks_mid", "permil", 400, "Free memory rate (per thousand) for the middle "
          "watermark.", docs_default=None),
    Param("wmarks_low", "permil", 200, "Free memory rate (per thousand) for the low "
          "watermark.", docs_default=None),
    Param("skip_anon", "bool", False, "Skip anonymous pages reclamation.", newer=True),
] + _common_tail("DAMON_RECLAIM", "reclaim") + [
    _stat("nr_reclaim_tried_regions", "Number of memory regions that tried to be reclaimed "
          "by DAMON_RECLAIM."),
    _stat("bytes_reclaim_tried_regions", "Total bytes of memory regions that tried to be "
          "reclaimed by DAMON_RECLAIM."),
    _stat("nr_reclaimed_regions", "Number of memory regions that successfully be reclaimed "
          "by DAMON_RECLAIM."),
    _stat("bytes_reclaimed_regions", "Total bytes of memory regions that successfully be "
          "reclaimed by DAMON_RECLAIM."),
    _stat("nr_quota_exceeds", "Number of times that the time/space quota limits have "
          "exceeded."),
])


def _lru_stats() -> list[Param]:
    out = []
    for temp in ("hot", "cold"):
        out += [
            _stat(f"nr_lru_sort_tried_{temp}_regions",
                  f"Number of {temp} memory regions that tried to be LRU-sorted."),
            _stat(f"bytes_lru_sort_tried_{temp}_regions",
                  f"Total bytes of {temp} memory regions that tried to be LRU-sorted."),
            _stat(f"nr_lru_sorted_{temp}_regions",
                  f"Number of {temp} memory regions that successfully be LRU-sorted."),
            _stat(f"bytes_lru_sorted_{temp}_regions",
                  f"Total bytes of {temp} memory regions that successfully be LRU-sorted."),
            _stat(f"nr_{temp}_quota_exceeds",
                  f"Number of times that the time quota limit for {temp} regions have "
                  "exceeded."),
        ]
    return out


LRU_SORT_PARAMS: tuple[Param, ...] = tuple(_common_head("DAMON_LRU_SORT") + [
    Param("hot_thres_access_freq", "permil", 500, "Access frequency threshold for hot memory "
          "regions identification in permil."),
    Param("cold_min_age", "us", 120_000_000, "Time threshold for cold memory regions "
          "identification in microseconds."),
    Param("quota_ms", "ms", 10, "Limit of time for trying the LRU lists sorting in "
          "milliseconds (0 disables); each of the two schemes gets half."),
    Param("quota_reset_interval_ms", "ms", 1000, "The time quota charge reset interval in "
          "milliseconds."),
    Param("active_mem_bp", "bp", 0, "Desired active to [in]active memory ratio in bp; the "
          "quotas auto-tune toward it (0 disables, > 10000 is invalid).", newer=True),
    Param("filter_young_pages", "bool", False, "Check the accessed bit of each page again "
          "before (de)prioritizing it.", newer=True),
    Param("wmarks_interval", "us", 5_000_000, "The watermarks check time interval in "
          "microseconds."),
    Param("wmarks_high", "permil", 200, "Free memory rate (per thousand) for the high "
          "watermark."),
    Param("wmarks_mid", "permil", 150, "Free memory rate (per thousand) for the middle "
          "watermark."),
    Param("wmarks_low", "permil", 50, "Free memory rate (per thousand) for the low "
          "watermark."),
] + _common_tail("DAMON_LRU_SORT", "lru_sort") + _lru_stats())


@dataclass(frozen=True)
class Preset:
    """A kernel module emulated as parameters -> schemes."""

    name: str  # "reclaim", "lru_sort"
    module: str  # "damon_reclaim"
    title: str  # "DAMON_RECLAIM"
    params: tuple[Param, ...]
    notes: tuple[str, ...] = ()

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise UserError(f"{self.title}: unknown parameter {name!r} (known: "
                        f"{', '.join(p.name for p in self.params)})")

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def inputs(self) -> list[Param]:
        """Writable parameters other than enabled / commit_inputs."""
        return [p for p in self.params
                if not p.readonly and p.name not in ("enabled", "commit_inputs")]


PRESETS: dict[str, Preset] = {
    "reclaim": Preset("reclaim", "damon_reclaim", "DAMON_RECLAIM", RECLAIM_PARAMS, notes=(
        "One pageout scheme: size >= 4 KiB, nr_accesses 0, age >= min_age/aggr_interval; "
        "prioritisation weights size 0, nr_accesses 0, age 1.",
        "commit_inputs: the v6.0 docs disable the module on invalid input; newest kernels "
        "(and damon-tui) refuse it and keep the running configuration.",
    )),
    "lru_sort": Preset("lru_sort", "damon_lru_sort", "DAMON_LRU_SORT", LRU_SORT_PARAMS, notes=(
        "Two schemes, hot first: lru_prio for nr_accesses >= max_nr_accesses * "
        "hot_thres_access_freq / 1000, lru_deprio for nr_accesses 0 and age >= "
        "cold_min_age/aggr_interval; each gets half of quota_ms.",
        "Weights: newest kernels give both schemes size 0 / nr_accesses 1 / age 1 (ours); "
        "the v6.0 module used hot 0/1/0 and cold 0/0/1.",
        "The docs' example uses watermarks 500/400/200; the defaults are 200/150/50.",
        "commit_inputs: the v6.0 docs disable the module on invalid input; newest kernels "
        "(and damon-tui) refuse it and keep the running configuration.",
    )),
}


def get_preset(name: str) -> Preset:
    key = name.replace("-", "_").removeprefix("damon_")
    if key not in PRESETS:
        raise UserError(f"unknown preset {name!r} (reclaim or lru_sort)")
    return PRESETS[key]


def parse_params(preset: Preset, assignments: Mapping[str, Any] | list[str],
                 base: Mapping[str, Any] | None = None, allow_readonly: bool = False,
                 source: str = "--param") -> dict[str, Any]:
    """Apply ``NAME=VALUE`` strings (or a mapping) over ``base`` (default: defaults)."""
    values = dict(base if base is not None else preset.defaults())
    items: list[tuple[str, Any]]
    if isinstance(assignments, Mapping):
        items = list(assignments.items())
    else:
        items = []
        for a in assignments:
            if "=" not in a:
                raise UserError(f"{source}: expected NAME=VALUE, got {a!r}")
            k, v = a.split("=", 1)
            items.append((k.strip().removeprefix(f"{preset.module}."), v))
    for name, text in items:
        p = preset.param(name)
        if p.readonly and not allow_readonly:
            raise UserError(f"{source}: {preset.title}.{name}: read-only parameter")
        try:
            values[name] = p.parse(text)
        except ValueError as e:
            raise UserError(f"{source}: {preset.title}.{name}: {e}") from None
    return values


# -- parameters -> schemes --------------------------------------------------------------
@dataclass(frozen=True)
class PresetConfig:
    """What a module would run: monitoring attributes and schemes."""

    sample_us: int
    aggr_us: int
    min_nr_regions: int
    max_nr_regions: int
    schemes: tuple[Scheme, ...]
    monitor_region: tuple[int, int] | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)
    #: ``(access_bp, aggrs, min_sample_us, max_sample_us)`` of the intervals goal
    #: (``engine.IntervalsGoal``); None = no auto-tuning
    intervals_goal: tuple[int, int, int, int] | None = None


#: the intervals goal ``autotune_monitoring_intervals=Y`` sets (damon-reference §5)
AUTOTUNE_INTERVALS_GOAL = (40, 3, 5000, 10_000_000)


def _err(preset: Preset, name: str, msg: str) -> UserError:
    return UserError(f"{preset.title}.{name}: {msg}")


def _common_checks(preset: Preset, p: Mapping[str, Any]) -> tuple[int, int, list[str]]:
    notes = []
    if p["addr_unit"] == 0:
        raise _err(preset, "addr_unit", "must not be 0 (EINVAL)")
    min_region_sz = max(PAGE_SIZE // p["addr_unit"], 1)
    if min_region_sz & (min_region_sz - 1):
        raise _err(preset, "addr_unit", f"4096 / addr_unit = {min_region_sz} is not a power "
                   "of two (EINVAL)")
    sample, aggr = p["sample_interval"], p["aggr_interval"]
    if sample == 0 and not p["autotune_monitoring_intervals"]:
        # damon_set_attrs accepts 0 and schedules with ``sample_interval ? : 1``
        sample = 1
        notes.append(f"warning: {preset.title}.sample_interval=0: the kernel accepts it and "
                     "samples back to back; damon-tui samples every 1 us (slow)")
    if p["autotune_monitoring_intervals"]:
        sample, aggr = 5000, 100_000
        notes.append("autotune_monitoring_intervals=Y: intervals start at 5 ms / 100 ms "
                     "and are auto-tuned (goal access_bp 40, every 3 aggregations, sampling "
                     "interval within 5 ms..10 s)")
    if p["min_nr_regions"] < 3:
        raise _err(preset, "min_nr_regions", f"must be at least 3, got {p['min_nr_regions']}")
    if p["min_nr_regions"] > p["max_nr_regions"]:
        raise _err(preset, "max_nr_regions", f"must be >= min_nr_regions "
                   f"({p['min_nr_regions']}), got {p['max_nr_regions']}")
    if sample > aggr:
        raise _err(preset, "aggr_interval", f"must be >= sample_interval ({sample}), got {aggr}")
    if p["monitor_region_start"] > p["monitor_region_end"]:
        raise _err(preset, "monitor_region_start", "must not be above monitor_region_end")
    if not p["wmarks_low"] <= p["wmarks_mid"] <= p["wmarks_high"]:
        notes.append(f"warning: {preset.title}.wmarks_high/wmarks_mid/wmarks_low "
                     f"{p['wmarks_high']}/{p['wmarks_mid']}/{p['wmarks_low']} are out of "
                     "order (the kernel accepts them; the module may never be activated)")
    return sample, aggr, notes


def _wmarks(p: Mapping[str, Any]) -> Watermarks:
    return Watermarks("free_mem_rate", p["wmarks_interval"], p["wmarks_high"],
                      p["wmarks_mid"], p["wmarks_low"])


def reclaim_config(p: Mapping[str, Any]) -> PresetConfig:
    """DAMON_RECLAIM's ``damon_reclaim_apply_parameters``."""
    preset = PRESETS["reclaim"]
    if p["aggr_interval"] == 0:
        raise _err(preset, "aggr_interval", "must not be 0 (EINVAL)")
    sample, aggr, notes = _common_checks(preset, p)
    goals = []
    if p["quota_mem_pressure_us"]:
        goals.append(QuotaGoal("some_mem_psi_us", p["quota_mem_pressure_us"]))
    if p["quota_autotune_feedback"]:
        goals.append(QuotaGoal("user_input", 10000, p["quota_autotune_feedback"]))
    filters = (Filter("anon", matching=True, allow=False),) if p["skip_anon"] else ()
    scheme = Scheme(
        AccessPattern(PAGE_SIZE, ULONG_MAX, Accesses(0), Accesses(0),
                      Age(p["min_age"] // aggr), Age(UINT_MAX)),
        "pageout",
        quota=Quota(p["quota_ms"], p["quota_sz"], p["quota_reset_interval_ms"],
                    Weights(0, 0, 1), tuple(goals)),
        watermarks=_wmarks(p), filters=filters, origin="DAMON_RECLAIM scheme")
    region = _region(p)
    return PresetConfig(sample, aggr, p["min_nr_regions"], p["max_nr_regions"], (scheme,),
                        region, tuple(notes), _intervals_goal(p))


def _region(p: Mapping[str, Any]) -> tuple[int, int] | None:
    if p["monitor_region_start"] == p["monitor_region_end"] == 0:
        return None
    return (p["monitor_region_start"] * p["addr_unit"], p["monitor_region_end"] * p["addr_unit"])


def lru_sort_config(p: Mapping[str, Any]) -> PresetConfig:
    """DAMON_LRU_SORT's ``damon_lru_sort_apply_parameters``."""
    preset = PRESETS["lru_sort"]
    if p["sample_interval"] == 0:
        raise _err(preset, "sample_interval", "must not be 0 (EINVAL)")
    if p["active_mem_bp"] > 10000:
        raise _err(preset, "active_mem_bp", f"{p['active_mem_bp']} is above 10000 (EINVAL)")
    sample, aggr, notes = _common_checks(preset, p)
    if p["hot_thres_access_freq"] > 1000:
        notes.append(f"warning: {preset.title}.hot_thres_access_freq="
                     f"{p['hot_thres_access_freq']} is above 1000 permil (the kernel accepts "
                     "it; no region can be that hot, so nothing is prioritised)")
    max_nr = min(aggr // sample, UINT_MAX)
    hot_thres = max_nr * p["hot_thres_access_freq"] // 1000
    cold_age = p["cold_min_age"] // aggr
    hot_goals: tuple[QuotaGoal, ...] = ()
    cold_goals: tuple[QuotaGoal, ...] = ()
    if p["active_mem_bp"]:
        hot_goals = (QuotaGoal("active_mem_bp", p["active_mem_bp"]),)
        cold_goals = (QuotaGoal("inactive_mem_bp", 10000 - p["active_mem_bp"] + 2),)
    hot_filters: tuple[Filter, ...] = ()
    cold_filters: tuple[Filter, ...] = ()
    if p["filter_young_pages"]:
        hot_filters = (Filter("young", matching=False, allow=False),)
        cold_filters = (Filter("young", matching=True, allow=False),)
    weights = Weights(0, 1, 1)
    hot = Scheme(
        AccessPattern(PAGE_SIZE, ULONG_MAX, Accesses(hot_thres), Accesses(UINT_MAX),
                      Age(0), Age(UINT_MAX)),
        "lru_prio",
        quota=Quota(p["quota_ms"] // 2, 0, p["quota_reset_interval_ms"], weights, hot_goals),
        watermarks=_wmarks(p), filters=hot_filters, origin="DAMON_LRU_SORT hot scheme")
    cold = Scheme(
        AccessPattern(PAGE_SIZE, ULONG_MAX, Accesses(0), Accesses(0), Age(cold_age),
                      Age(UINT_MAX)),
        "lru_deprio",
        quota=Quota(p["quota_ms"] // 2, 0, p["quota_reset_interval_ms"], weights, cold_goals),
        watermarks=_wmarks(p), filters=cold_filters, origin="DAMON_LRU_SORT cold scheme")
    return PresetConfig(sample, aggr, p["min_nr_regions"], p["max_nr_regions"], (hot, cold),
                        _region(p), tuple(notes), _intervals_goal(p))


def _intervals_goal(p: Mapping[str, Any]) -> tuple[int, int, int, int] | None:
    return AUTOTUNE_INTERVALS_GOAL if p["autotune_monitoring_intervals"] else None


def preset_config(preset: Preset, params: Mapping[str, Any]) -> PresetConfig:
    """Validated schemes and attributes for ``params`` (``UserError`` naming the field)."""
    full = preset.defaults()
    full.update(params)
    cfg = reclaim_config(full) if preset.name == "reclaim" else lru_sort_config(full)
    for s in cfg.schemes:
        try:
            s.validate()
        except ValueError as e:
            raise UserError(f"{s.origin}: {e}") from None
    return cfg


def stats_params(preset: Preset, stats: tuple) -> dict[str, int]:
    """The module's read-only statistics from per-scheme :class:`DamosStats`."""
    if preset.name == "reclaim":
        s = stats[0]
        return {"nr_reclaim_tried_regions": s.nr_tried,
                "bytes_reclaim_tried_regions": s.sz_tried,
                "nr_reclaimed_regions": s.nr_applied,
                "bytes_reclaimed_regions": s.sz_applied,
                "nr_quota_exceeds": s.qt_exceeds}
    out = {}
    for temp, s in zip(("hot", "cold"), stats, strict=False):
        out[f"nr_lru_sort_tried_{temp}_regions"] = s.nr_tried
        out[f"bytes_lru_sort_tried_{temp}_regions"] = s.sz_tried
        out[f"nr_lru_sorted_{temp}_regions"] = s.nr_applied
        out[f"bytes_lru_sorted_{temp}_regions"] = s.sz_applied
        out[f"nr_{temp}_quota_exceeds"] = s.qt_exceeds
    return out


# -- enabled / commit_inputs ------------------------------------------------------------
class Module:
    """One emulated module: writable inputs, and the configuration actually running.

    Inputs written while enabled take effect only on ``commit_inputs=Y``; invalid
    inputs are then refused and the running configuration is kept (newest kernels).
    ``on_commit(config)`` is called with each configuration that starts running.
    ``busy()`` names another running module, if any: both modules start their context
    with ``damon_start(&ctx, 1, true)`` (exclusive), so enabling one while the other
    runs fails with EBUSY in the kernel, and here.
    """

    def __init__(self, preset: Preset, inputs: Mapping[str, Any] | None = None,
                 on_commit: Callable[[PresetConfig], None] | None = None,
                 busy: Callable[[], str | None] | None = None) -> None:
        self.preset = preset
        self.inputs = preset.defaults()
        if inputs:
            self.inputs.update(inputs)
        self.inputs["enabled"] = False
        self.inputs["commit_inputs"] = False
        self.running: PresetConfig | None = None
        self.running_inputs: dict[str, Any] | None = None
        self.on_commit = on_commit
        self.busy = busy
        self._stats: dict[str, int] = {}
        #: id of the thread running the monitor (``threading.get_native_id()``), if known
        self.kdamond_pid: int | None = None

    @property
    def enabled(self) -> bool:
        return self.running is not None

    def write(self, name: str, value: Any) -> None:
        """Like writing ``/sys/module/<module>/parameters/<name>``."""
        p = self.preset.param(name)
        if p.readonly:
            raise UserError(f"{self.preset.title}.{name}: read-only parameter")
        try:
            v = p.parse(value)
        except ValueError as e:
            raise UserError(f"{self.preset.title}.{name}: {e}") from None
        if name == "enabled":
            if v and not self.enabled:
                other = self.busy() if self.busy is not None else None
                if other:
                    raise UserError(
                        f"{self.preset.title}.enabled: {other} is running and DAMON runs "
                        "each module's context exclusively (damon_start: EBUSY); "
                        f"disable {other} first")
                self._start(self.inputs)
            elif not v:
                self.running = self.running_inputs = None
            return
        if name == "commit_inputs":
            if v and self.enabled:
                self._start(self.inputs)  # raises, keeping the running config, if invalid
            return
        self.inputs[name] = v

    def _start(self, inputs: Mapping[str, Any]) -> None:
        cfg = preset_config(self.preset, inputs)
        self.running = cfg
        self.running_inputs = dict(inputs)
        if self.on_commit is not None:
            self.on_commit(cfg)

    def update_stats(self, stats: tuple) -> None:
        """Copy scheme statistics into the read-only parameters."""
        self._stats = stats_params(self.preset, stats)

    def read(self, name: str) -> str:
        p = self.preset.param(name)
        if name == "enabled":
            return "Y" if self.enabled else "N"
        if name == "commit_inputs":
            return "N"
        if name == "kdamond_pid":
            if not self.enabled:
                return "-1"
            return str(self.kdamond_pid if self.kdamond_pid is not None else os.getpid())
        if p.readonly:
            return str(self._stats.get(name, 0))
        return p.format(self.inputs[name])


# -- profiles ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Profile:
    name: str
    preset: str
    params: dict[str, Any]
    description: str = ""
    builtin: bool = False


BUILTIN_PROFILES: dict[str, Profile] = {
    "reclaim-example": Profile(
        "reclaim-example", "reclaim",
        {"min_age": 30_000_000, "quota_sz": 1 << 30, "quota_reset_interval_ms": 1000,
         "wmarks_high": 500, "wmarks_mid": 400, "wmarks_low": 200},
        "reclaim.rst example: page out regions idle for 30 s or more, at most 1 GiB/s, "
        "only while free memory is between 20% and 50%.", builtin=True),
    "lru_sort-example": Profile(
        "lru_sort-example", "lru_sort",
        {"hot_thres_access_freq": 500, "cold_min_age": 120_000_000, "quota_ms": 10,
         "quota_reset_interval_ms": 1000, "wmarks_high": 500, "wmarks_mid": 400,
         "wmarks_low": 200},
        "lru_sort.rst example: prioritise >= 50% access frequency, deprioritise 120 s "
        "idle, 1% CPU, only while free memory is between 20% and 50%.", builtin=True),
}

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def profiles_dir(override: str | os.PathLike | None = None) -> Path:
    """``override``, ``$DAMON_TUI_PROFILES_DIR``, or ``$XDG_CONFIG_HOME/damon-tui/profiles``."""
    if override:
        return Path(override)
    env = os.environ.get("DAMON_TUI_PROFILES_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "damon-tui" / "profiles"


def list_profiles(directory: str | os.PathLike | None = None) -> list[Profile]:
    out = list(BUILTIN_PROFILES.values())
    d = profiles_dir(directory)
    if d.is_dir():
        for f in sorted(d.glob("*.json")):
            try:
                out.append(load_profile(f.stem, directory))
            except UserError:
                continue
    return out


def load_profile(name: str, directory: str | os.PathLike | None = None) -> Profile:
    """A user profile (``<dir>/<name>.json``) or a built-in one."""
    path = profiles_dir(directory) / f"{name}.json"
    if _NAME.fullmatch(name) and path.is_file():
        try:
            doc = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise UserError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
        except OSError as e:
            raise UserError(f"{path}: cannot read: {e.strerror}") from None
        except UnicodeDecodeError:
            raise UserError(f"{path}: expected a JSON profile, got binary data") from None
        if not isinstance(doc, dict) or "preset" not in doc or \
                not isinstance(doc.get("params", {}), dict):
            raise UserError(f"{path}: expected {{\"preset\": ..., \"params\": {{...}}}}")
        try:
            preset = get_preset(str(doc["preset"]))
            params = parse_params(preset, {k: v for k, v in doc.get("params", {}).items()},
                                  base={}, source=str(path))
        except UserError as e:
            if str(path) in str(e):
                raise
            raise UserError(f"{path}: {e}") from None
        return Profile(name, preset.name, params, str(doc.get("description", "")))
    if name in BUILTIN_PROFILES:
        return BUILTIN_PROFILES[name]
    known = ", ".join(p.name for p in list_profiles(directory))
    raise UserError(f"unknown profile {name!r} (known: {known}; user profiles live in "
                    f"{profiles_dir(directory)})")


def save_profile(name: str, preset: Preset, params: Mapping[str, Any], description: str = "",
                 directory: str | os.PathLike | None = None) -> Path:
    """Write the parameters that differ from the defaults as ``<dir>/<name>.json``."""
    if not _NAME.fullmatch(name):
        raise UserError(f"profile name {name!r}: use letters, digits, '_', '-' and '.'")
    if name in BUILTIN_PROFILES:
        raise UserError(f"profile name {name!r} is a built-in profile; choose another name")
    defaults = preset.defaults()
    changed = {k: v for k, v in params.items()
               if k not in ("enabled", "commit_inputs") and not preset.param(k).readonly
               and v != defaults[k]}
    d = profiles_dir(directory)
    path = d / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    if d.exists() and not d.is_dir():
        raise UserError(f"{d}: profile directory is not a directory")
    try:
        d.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"preset": preset.name, "description": description,
                                   "params": changed}, indent=2) + "\n")
        tmp.replace(path)
    except OSError as e:
        raise UserError(f"{e.filename or path}: cannot save profile: {e.strerror}") from None
    return path


# -- export -----------------------------------------------------------------------------
def _export_items(preset: Preset, params: Mapping[str, Any], all_params: bool,
                  keys: Iterable[str] = ()) -> list:
    defaults = preset.defaults()
    keys = set(keys)
    return [(p, params.get(p.name, p.default)) for p in preset.inputs()
            if all_params or p.name in keys
            or params.get(p.name, p.default) != defaults[p.name]]


def boot_params(preset: Preset, params: Mapping[str, Any], all_params: bool = False,
                keys: Iterable[str] = ()) -> str:
    """Kernel command line: ``damon_reclaim.min_age=30000000 ... damon_reclaim.enabled=Y``.

    Parameters that differ from the defaults are written, plus those named in ``keys``
    (e.g. every parameter a profile sets), or all with ``all_params``.
    """
    words = [f"{preset.module}.{p.name}={p.format(v)}"
             for p, v in _export_items(preset, params, all_params, keys)]
    words.append(f"{preset.module}.enabled=Y")
    return " ".join(words)


def module_param_writes(preset: Preset, params: Mapping[str, Any],
                        all_params: bool = False, keys: Iterable[str] = ()) -> str:
    """Shell lines writing the module parameters (text only; damon-tui never runs them)."""
    d = f"/sys/module/{preset.module}/parameters"
    lines = [f"# {preset.title}: run as root on a kernel with CONFIG_{preset.module.upper()}=y",
             f"cd {d}"]
    lines += [f"echo {p.format(v)} > {p.name}"
              for p, v in _export_items(preset, params, all_params, keys)]
    lines.append("echo Y > enabled")
    lines.append("# to change inputs while enabled: write them, then 'echo Y > commit_inputs'")
    return "\n".join(lines)
