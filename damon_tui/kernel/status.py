"""A read-only description of the kernel's DAMON, like ``damo status``.

:func:`collect` reads every kdamond (index, state, pid, ours or not, contexts with
operations, attrs, targets, regions, schemes with quotas, goals, weights, watermarks,
filters and stats as last refreshed) and both modules' parameters.  It never writes.
"""

from __future__ import annotations

from typing import Any

from damon_tui.damos.presets import PRESETS
from damon_tui.errors import UserError
from damon_tui.kernel import ownership
from damon_tui.kernel.modules import read_params
from damon_tui.kernel.session import foreign_refusal
from damon_tui.kernel.sysfs import Paths, SysfsIO
from damon_tui.kernel.tree import read_dir
from damon_tui.units import format_size, format_time_us


def collect(io: SysfsIO, paths: Paths) -> dict[str, Any]:
    out: dict[str, Any] = {"sysfs": str(paths.admin), "kdamonds": [], "modules": {}}
    try:
        states = ownership.kdamond_states(io, paths)
    except UserError as e:  # absent, or unreadable (not root)
        out["sysfs_error"] = str(e)
        states = []
    for st in states:
        d = paths.kdamond(st.index)
        contexts = read_dir(io, d / "contexts").get("items", [])
        out["kdamonds"].append({
            "index": st.index, "state": st.state, "pid": st.pid, "ours": st.ours,
            "owner_pid": st.owner.owner_pid if st.owner else None,
            "contexts": contexts,
        })
    for preset in PRESETS.values():
        try:
            params = read_params(io, paths, preset)
        except UserError:
            out["modules"][preset.module] = None
            continue
        out["modules"][preset.module] = params
    return out


def _range(d: dict, fmt=str) -> str:
    return f"{fmt(d.get('min', '?'))}..{fmt(d.get('max', '?'))}"


def _size(v: Any) -> str:
    return format_size(v) if isinstance(v, int) and v < 2**63 else "max"


def _count(v: Any) -> str:
    return str(v) if isinstance(v, int) and v < 2**32 - 1 else "max"


def format_text(st: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if "sysfs_error" in st:
        lines.append(f"sysfs: {st['sysfs_error']}")
    elif not st["kdamonds"]:
        lines.append(f"kdamonds: none ({st['sysfs']})")
    for k in st["kdamonds"]:
        who = "ours" if k["ours"] else "not ours (read-only)"
        if k["ours"] and k["owner_pid"]:
            who += f", damon-tui process {k['owner_pid']}"
        lines.append(f"kdamond {k['index']}: state {k['state']}, pid {k['pid'] or '-'}, {who}")
        for ci, c in enumerate(k["contexts"]):
            lines.extend(_context_lines(ci, c))
    for module, params in st["modules"].items():
        if params is None:
            lines.append(f"{module.upper()}: not built in")
            continue
        lines.append(f"{module.upper()}: enabled {params.get('enabled', '?')}, kdamond_pid "
                     f"{params.get('kdamond_pid', '?')}")
        lines.append("  " + " ".join(f"{n}={v}" for n, v in params.items()
                                     if n not in ("enabled", "kdamond_pid")))
    return lines


def _context_lines(ci: int, c: dict) -> list[str]:
    ma = c.get("monitoring_attrs", {})
    iv, nr = ma.get("intervals", {}), ma.get("nr_regions", {})
    out = [f"  context {ci}: operations {c.get('operations', '?')} (available: "
           f"{c.get('avail_operations', '?')})"]
    goal = iv.get("intervals_goal")
    goal_text = ""
    if goal and goal.get("aggrs"):
        goal_text = (f", intervals goal {goal.get('access_bp')} bp per {goal.get('aggrs')} "
                     f"aggrs, sample {format_time_us(goal.get('min_sample_us', 0))}.."
                     f"{format_time_us(goal.get('max_sample_us', 0))} (intervals shown as "
                     "last refreshed by update_tuned_intervals)")
    out.append(f"    attrs: sample {format_time_us(iv.get('sample_us', 0))}, aggr "
               f"{format_time_us(iv.get('aggr_us', 0))}, update "
               f"{format_time_us(iv.get('update_us', 0))}, regions {_range(nr)}{goal_text}")
    for ti, t in enumerate(c.get("targets", {}).get("items", [])):
        regions = t.get("regions", {}).get("items", [])
        text = ", ".join(f"{r.get('start', 0):#x}-{r.get('end', 0):#x}" for r in regions[:8])
        more = f" (+{len(regions) - 8} more)" if len(regions) > 8 else ""
        pid = f"pid {t.get('pid_target')}" if c.get("operations") != "paddr" else "physical"
        out.append(f"    target {ti}: {pid}, regions: {text or 'none set'}{more}")
    for si, s in enumerate(c.get("schemes", {}).get("items", [])):
        out.extend(_scheme_lines(si, s))
    return out


def _scheme_lines(si: int, s: dict) -> list[str]:
    ap = s.get("access_pattern", {})
    apply = s.get("apply_interval_us")
    out = [f"    scheme {si}: action {s.get('action', '?')}"
           + (f", apply interval {format_time_us(apply)}" if apply else "")
           + (f", target_nid {s['target_nid']}" if s.get("target_nid", -1) not in (-1, None)
              else "")]
    out.append(f"      access pattern: size {_range(ap.get('sz', {}), _size)}, nr_accesses "
               f"{_range(ap.get('nr_accesses', {}), _count)}, age "
               f"{_range(ap.get('age', {}), _count)} (aggregation intervals)")
    q = s.get("quotas", {})
    w = q.get("weights", {})
    eff = f", effective {format_size(q['effective_bytes'])}" if q.get("effective_bytes") else ""
    out.append(f"      quotas: {q.get('ms', 0)} ms, {format_size(q.get('bytes', 0))} per "
               f"{q.get('reset_interval_ms', 0)} ms{eff}; weights sz {w.get('sz_permil', 0)} "
               f"nr_accesses {w.get('nr_accesses_permil', 0)} age {w.get('age_permil', 0)} "
               "permil")
    goals = q.get("goals")
    if goals is None:
        out.append("      quota goals: not in this kernel")
    for g in (goals or {}).get("items", []):
        out.append(f"      goal: {g.get('target_metric', 'user_input')} target "
                   f"{g.get('target_value')} current {g.get('current_value')}"
                   + (f" nid {g['nid']}" if "nid" in g else ""))
    wm = s.get("watermarks", {})
    out.append(f"      watermarks: {wm.get('metric', '?')}, every "
               f"{format_time_us(wm.get('interval_us', 0))}, high {wm.get('high')} mid "
               f"{wm.get('mid')} low {wm.get('low')}")
    for f in s.get("filters", {}).get("items", []):
        extra = {"memcg": f"path {f.get('memcg_path')!r}",
                 "addr": f"{f.get('addr_start', 0):#x}-{f.get('addr_end', 0):#x}",
                 "target": f"target {f.get('damon_target_idx')}"}.get(f.get("type"), "")
        allow = f.get("allow")
        verb = "allow" if allow == "Y" else "reject"
        out.append(f"      filter: {verb} {'' if f.get('matching') == 'Y' else 'non-'}"
                   f"{f.get('type')} {extra}".rstrip())
    stats = s.get("stats", {})
    out.append("      stats (as last refreshed): " + ", ".join(
        f"{k} {v}" for k, v in stats.items()))
    tried = s.get("tried_regions", {})
    if "total_bytes" in tried:
        out.append(f"      tried regions total: {format_size(tried['total_bytes'])}")
    return out


def doctor_checks(paths: Paths, is_root: bool) -> list[tuple[str, str, bool, str]]:
    """``doctor`` rows (key, label, ok, detail) for the kernel backend; reads only."""
    io = SysfsIO()
    rows = []
    try:
        states = ownership.kdamond_states(io, paths)
        sysfs_ok = True
    except UserError as e:  # absent, or unreadable (not root)
        states, sysfs_ok = [], False
        rows.append(("kernel_backend", "kernel DAMON backend (--kernel)", False, str(e)))
    if sysfs_ok:
        refusal = foreign_refusal(states, paths)
        ours = [st for st in states if st.ours]
        detail = refusal or (f"can start a kdamond at {paths.kdamonds} (operations are "
                             "checked against avail_operations when it starts)")
        if ours:
            detail += "; started by damon-tui: " + ", ".join(st.describe() for st in ours)
        rows.append(("kernel_backend", "kernel DAMON backend (--kernel)",
                     refusal is None and is_root,
                     detail if is_root else detail + "; needs root"))
    mods = []
    for preset in PRESETS.values():
        d = paths.module_params(preset.module)
        if d.is_dir():
            enabled = io.read_opt(d / "enabled")
            mods.append(f"{preset.title} built in (enabled {enabled})")
        else:
            mods.append(f"{preset.title} not built in")
    rows.append(("kernel_modules", "DAMON_RECLAIM / DAMON_LRU_SORT",
                 any("built in (" in m for m in mods),
                 "; ".join(mods) + "; they and sysfs kdamonds exclude each other (EBUSY) on "
                 "kernels running them exclusively"))
    events = paths.tracefs / "events" / "damon"
    rows.append(("tracefs", "tracefs DAMON events", events.is_dir(),
                 f"{events} present" if events.is_dir() else
                 f"{events} not found (tracefs not mounted there, or no DAMON tracepoints)"))
    return rows
