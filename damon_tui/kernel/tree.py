"""The kdamond directory tree: write a full configuration, read one back.

:class:`KernelConfig` is what one kdamond runs (one context): operations, monitoring
attributes, targets and schemes (``damon_tui.damos.scheme.Scheme``).  :func:`write_config`
writes it file by file the way damo does, checking first that every file it needs
exists, so a kernel lacking a feature is named before anything is written
(:func:`check_features`).  :func:`read_dir` reads a tree generically (numbered
sub-directories become ``items`` lists), used by ``status`` and read-backs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from damon_tui.damos.scheme import Filter, Scheme
from damon_tui.engine import Attrs
from damon_tui.kernel.sysfs import KernelLacks, SysfsIO

UINT_MAX = 2**32 - 1


@dataclass(frozen=True)
class KernelTarget:
    """One monitoring target: a process (vaddr/fvaddr) and/or fixed regions."""

    pid: int | None = None
    regions: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class KernelConfig:
    """What one kdamond runs: a single context."""

    operations: str
    attrs: Attrs
    targets: tuple[KernelTarget, ...]
    schemes: tuple[Scheme, ...] = ()
    #: add one ``stat`` scheme per target matching every region (snapshots)
    snapshot_schemes: bool = True

    def all_schemes(self) -> tuple[Scheme, ...]:
        return self.schemes + (snapshot_schemes(len(self.targets)) if self.snapshot_schemes
                               else ())


def snapshot_schemes(nr_targets: int) -> tuple[Scheme, ...]:
    """``stat`` schemes matching every region; with several targets one per target,
    each keeping only its target (a ``target`` filter that does not match)."""
    if nr_targets <= 1:
        return (Scheme(action="stat", origin="damon-tui snapshot"),)
    return tuple(Scheme(action="stat", origin=f"damon-tui snapshot of target {i}",
                        filters=(Filter("target", matching=False, target_idx=i),))
                 for i in range(nr_targets))


# -- features -----------------------------------------------------------------------------
#: feature name -> (path relative to a scheme / context dir, kernel it appeared in)
FEATURES = {
    "tried_regions": ("scheme", "tried_regions", "6.2"),
    "tried_regions/total_bytes": ("scheme", "tried_regions/total_bytes", "6.6"),
    "filters": ("scheme", "filters", "6.3"),
    "apply_interval_us": ("scheme", "apply_interval_us", "6.7"),
    "quota goals": ("scheme", "quotas/goals", "6.8"),
    "quotas/effective_bytes": ("scheme", "quotas/effective_bytes", "6.9"),
    "target_nid": ("scheme", "target_nid", "6.11"),
    "stats/sz_ops_filter_passed": ("scheme", "stats/sz_ops_filter_passed", "6.14"),
    "intervals_goal": ("context", "monitoring_attrs/intervals/intervals_goal", "6.15"),
}


def has(ctx_dir: Path, feature: str, scheme_dir: Path | None = None) -> bool:
    """Whether ``feature`` exists in this context (needs a scheme dir for scheme ones)."""
    where, rel, _ = FEATURES[feature]
    base = ctx_dir if where == "context" else scheme_dir
    return base is not None and (base / rel).exists()


def lacking(feature: str, asked: str) -> KernelLacks:
    _, rel, since = FEATURES[feature]
    return KernelLacks(f"this kernel has no DAMON {feature} ({rel}, Linux {since}+), "
                       f"needed for {asked}")


def check_features(io: SysfsIO, ctx_dir: Path, cfg: KernelConfig) -> list[str]:
    """Refuse what the kernel lacks, before any configuration write.

    Needs a scheme dir to look at: when the context has none yet, probes with one
    (``nr_schemes`` 1, put back afterwards).  Returns notes for what is silently left at
    the kernel's default.
    """
    schemes_dir = ctx_dir / "schemes"
    nr_before = io.read_int(schemes_dir / "nr_schemes")
    if nr_before == 0:
        io.write(schemes_dir / "nr_schemes", 1)
    s0 = schemes_dir / "0"
    try:
        if cfg.attrs.intervals_goal.enabled and not has(ctx_dir, "intervals_goal"):
            raise lacking("intervals_goal", "--intervals-goal")
        if cfg.snapshot_schemes and not has(ctx_dir, "tried_regions", s0):
            raise KernelLacks("this kernel has no DAMOS tried_regions (schemes/<N>/"
                              "tried_regions, Linux 6.2+): damon-tui cannot read snapshots "
                              "of the regions from it")
        if cfg.snapshot_schemes and len(cfg.targets) > 1 and not has(ctx_dir, "filters", s0):
            raise KernelLacks("this kernel has no DAMOS filters (Linux 6.3+), needed to tell "
                              "several targets' regions apart: monitor one target at a time")
        for s in cfg.schemes:
            name = s.describe()
            if s.apply_interval_us and not has(ctx_dir, "apply_interval_us", s0):
                raise lacking("apply_interval_us", f"{name}'s apply_interval_us")
            if s.quota.goals and not has(ctx_dir, "quota goals", s0):
                raise lacking("quota goals", f"{name}'s quota goals")
            if s.target_nid is not None and not has(ctx_dir, "target_nid", s0):
                raise lacking("target_nid", f"{name}'s target_nid")
            if s.filters and not has(ctx_dir, "filters", s0):
                raise lacking("filters", f"{name}'s filters")
    finally:
        if nr_before == 0:
            io.write(schemes_dir / "nr_schemes", 0)
    return []


# -- the kernel's constraints -------------------------------------------------------------
def attrs_refusal(ctx_dir: Path, sample_us: int, aggr_us: int, min_nr: int, max_nr: int
                  ) -> str | None:
    """What the kernel's ``damon_set_attrs`` refuses, one sentence naming the file (checked
    before any write: before Linux 6.14 a refused commit stops the kdamond)."""
    ma = ctx_dir / "monitoring_attrs"
    if min_nr < 3:
        return f"{ma / 'nr_regions/min'}: the kernel refuses {min_nr} (DAMON needs 3 or more)"
    if min_nr > max_nr:
        return (f"{ma / 'nr_regions/min'}: the kernel refuses {min_nr}, more than "
                f"nr_regions/max {max_nr}")
    if sample_us > aggr_us:
        return (f"{ma / 'intervals/sample_us'}: the kernel refuses {sample_us}, longer than "
                f"aggr_us {aggr_us}")
    return None


def config_refusal(ctx_dir: Path, cfg: KernelConfig) -> str | None:
    """What the kernel would refuse in ``cfg`` that we can tell from the values alone
    (attrs as ``damon_set_attrs``, regions as ``damon_sysfs_set_regions``)."""
    a = cfg.attrs
    refusal = attrs_refusal(ctx_dir, a.sample_us, a.aggr_us, a.min_nr_regions, a.max_nr_regions)
    if refusal:
        return refusal
    for i, t in enumerate(cfg.targets):
        prev_end = 0
        for j, (start, end) in enumerate(t.regions):
            if start > end or start < prev_end:
                return (f"{ctx_dir / 'targets' / str(i) / 'regions' / str(j)}: the kernel "
                        f"refuses {start:#x}-{end:#x} (regions must be ordered, not overlapping)")
            prev_end = end
    return None


# -- writing ------------------------------------------------------------------------------
def _yn(value: bool) -> str:
    return "Y" if value else "N"


def write_attrs(io: SysfsIO, ctx_dir: Path, attrs: Attrs) -> None:
    ma = ctx_dir / "monitoring_attrs"
    io.write(ma / "intervals/sample_us", attrs.sample_us)
    io.write(ma / "intervals/aggr_us", attrs.aggr_us)
    io.write(ma / "intervals/update_us", attrs.update_us)
    goal_dir = ma / "intervals/intervals_goal"
    if goal_dir.exists():
        g = attrs.intervals_goal
        io.write(goal_dir / "access_bp", g.access_bp)
        io.write(goal_dir / "aggrs", g.aggrs)
        io.write(goal_dir / "min_sample_us", g.min_sample_us)
        io.write(goal_dir / "max_sample_us", g.max_sample_us)
    elif attrs.intervals_goal.enabled:
        raise lacking("intervals_goal", "--intervals-goal")
    io.write(ma / "nr_regions/min", attrs.min_nr_regions)
    io.write(ma / "nr_regions/max", attrs.max_nr_regions)


def write_targets(io: SysfsIO, ctx_dir: Path, targets: tuple[KernelTarget, ...]) -> None:
    tdir = ctx_dir / "targets"
    io.write(tdir / "nr_targets", len(targets))
    for i, t in enumerate(targets):
        d = tdir / str(i)
        if t.pid is not None:
            io.write(d / "pid_target", t.pid)
        io.write(d / "regions/nr_regions", len(t.regions))
        for j, (start, end) in enumerate(t.regions):
            # start first could exceed a stale end; the kernel checks only at commit/on
            io.write(d / f"regions/{j}/start", start)
            io.write(d / f"regions/{j}/end", end)


def write_filter(io: SysfsIO, d: Path, f: Filter) -> None:
    io.write(d / "type", f.filter_type)
    io.write(d / "matching", _yn(f.matching))
    if (d / "allow").exists():
        io.write(d / "allow", _yn(f.allow))
    elif f.allow:
        raise KernelLacks(f"{d}: this kernel has no DAMOS filters' allow (Linux 6.14+): "
                          "filters can only reject here")
    if f.filter_type == "memcg" and f.memcg_path:
        io.write(d / "memcg_path", f.memcg_path)
    if f.filter_type == "addr":
        io.write(d / "addr_start", f.addr_start)
        io.write(d / "addr_end", f.addr_end)
    if f.filter_type == "target":
        io.write(d / "damon_target_idx", f.target_idx)
    if f.filter_type == "hugepage_size":
        io.write(d / "min", f.hugepage_min or 0)
        io.write(d / "max", f.hugepage_max or 0)


def write_scheme(io: SysfsIO, d: Path, s: Scheme, sample_us: int, aggr_us: int) -> None:
    io.write(d / "action", s.action)
    if (d / "apply_interval_us").exists():
        io.write(d / "apply_interval_us", s.apply_interval_us)
    elif s.apply_interval_us:
        raise lacking("apply_interval_us", f"{s.describe()}'s apply_interval_us")
    if s.target_nid is not None:
        io.write(d / "target_nid", s.target_nid)
    r = s.access_pattern.resolve(sample_us, aggr_us)
    ap = d / "access_pattern"
    io.write(ap / "sz/min", r.min_sz)
    io.write(ap / "sz/max", r.max_sz)
    io.write(ap / "nr_accesses/min", min(r.min_nr_accesses, UINT_MAX))
    io.write(ap / "nr_accesses/max", min(r.max_nr_accesses, UINT_MAX))
    io.write(ap / "age/min", min(r.min_age, UINT_MAX))
    io.write(ap / "age/max", min(r.max_age, UINT_MAX))
    q, qd = s.quota, d / "quotas"
    io.write(qd / "ms", q.ms)
    io.write(qd / "bytes", q.sz)
    io.write(qd / "reset_interval_ms", q.reset_interval_ms)
    io.write(qd / "weights/sz_permil", q.weights.sz)
    io.write(qd / "weights/nr_accesses_permil", q.weights.nr_accesses)
    io.write(qd / "weights/age_permil", q.weights.age)
    goals_dir = qd / "goals"
    if goals_dir.exists():
        io.write(goals_dir / "nr_goals", len(q.goals))
        for i, g in enumerate(q.goals):
            gd = goals_dir / str(i)
            if (gd / "target_metric").exists():
                io.write(gd / "target_metric", g.metric)
            elif g.metric != "user_input":
                raise KernelLacks(f"{gd}: this kernel's quota goals have no target_metric "
                                  "(Linux 6.9+): only user_input goals work here")
            io.write(gd / "target_value", g.target_value)
            io.write(gd / "current_value", g.current_value)
            if g.nid is not None:
                io.write(gd / "nid", g.nid)
        if (qd / "goal_tuner").exists() and q.goal_tuner != "consist":
            io.write(qd / "goal_tuner", q.goal_tuner)
    elif q.goals:
        raise lacking("quota goals", f"{s.describe()}'s quota goals")
    w, wd = s.watermarks, d / "watermarks"
    io.write(wd / "metric", w.metric)
    io.write(wd / "interval_us", w.interval_us)
    io.write(wd / "high", w.high)
    io.write(wd / "mid", w.mid)
    io.write(wd / "low", w.low)
    fdir = d / "filters"
    if fdir.exists():
        io.write(fdir / "nr_filters", len(s.filters))
        for i, f in enumerate(s.filters):
            write_filter(io, fdir / str(i), f)
    elif s.filters:
        raise lacking("filters", f"{s.describe()}'s filters")


def write_schemes(io: SysfsIO, ctx_dir: Path, schemes: tuple[Scheme, ...], attrs: Attrs) -> None:
    sdir = ctx_dir / "schemes"
    io.write(sdir / "nr_schemes", len(schemes))
    for i, s in enumerate(schemes):
        write_scheme(io, sdir / str(i), s, attrs.sample_us, attrs.aggr_us)


def write_config(io: SysfsIO, kdamond_dir: Path, cfg: KernelConfig) -> None:
    """Write ``cfg`` into a kdamond's directory (one context); nothing is committed."""
    cdir = kdamond_dir / "contexts"
    if io.read_int(cdir / "nr_contexts") != 1:
        io.write(cdir / "nr_contexts", 1)
    ctx = cdir / "0"
    avail = io.read_opt(ctx / "avail_operations")
    if avail is not None and cfg.operations not in avail.split():
        raise KernelLacks(f"{ctx / 'avail_operations'}: this kernel offers operations "
                          f"{avail.split() or 'none'}, not {cfg.operations!r}")
    io.write(ctx / "operations", cfg.operations)
    write_attrs(io, ctx, cfg.attrs)
    write_targets(io, ctx, cfg.targets)
    write_schemes(io, ctx, cfg.all_schemes(), cfg.attrs)


# -- reading ------------------------------------------------------------------------------
def _value(text: str) -> object:
    try:
        return int(text)
    except ValueError:
        return text


@dataclass
class ReadOptions:
    #: read tried_regions/<N>/ region dirs (status: counts only)
    tried_regions: bool = False
    skip: set[str] = field(default_factory=set)


def read_dir(io: SysfsIO, d: Path, opts: ReadOptions | None = None) -> dict:
    """A sysfs directory as a dict; numbered sub-directories as an ``items`` list."""
    opts = opts or ReadOptions()
    out: dict = {}
    items: list[tuple[int, dict]] = []
    try:
        entries = sorted(Path(d).iterdir())
    except OSError:
        return out
    for e in entries:
        if e.name in opts.skip:
            continue
        if e.is_dir():
            if e.name.isdigit():
                if d.name == "tried_regions" and not opts.tried_regions:
                    continue
                items.append((int(e.name), read_dir(io, e, opts)))
            else:
                out[e.name] = read_dir(io, e, opts)
        else:
            text = io.read_opt(e)
            if text is not None:
                out[e.name] = _value(text)
    if items:
        out["items"] = [v for _, v in sorted(items, key=lambda kv: kv[0])]
    return out


def read_tried_regions(io: SysfsIO, scheme_dir: Path) -> list[tuple[int, int, int, int]]:
    """``(start, end, nr_accesses, age)`` of ``tried_regions/<N>/``, in order (through
    ``io``: its reader, and its wait while the sysfs lock is taken)."""
    tdir = scheme_dir / "tried_regions"
    out = []
    idx = 0
    while (tdir / str(idx)).is_dir():
        rd = tdir / str(idx)
        try:
            out.append((io.read_int(rd / "start"), io.read_int(rd / "end"),
                        io.read_int(rd / "nr_accesses"), io.read_int(rd / "age")))
        except KernelLacks:  # removed meanwhile (the kernel refreshed them): stop here
            break
        idx += 1
    return out


#: files a read-back holds that are outputs, never written back
READ_ONLY = {"avail_operations", "stats", "tried_regions", "effective_bytes", "pid", "state"}


def read_inputs(io: SysfsIO, d: Path) -> dict:
    """The input files under ``d`` (what ``commit`` would read), for a later restore."""
    return read_dir(io, d, ReadOptions(skip=set(READ_ONLY)))


def write_inputs(io: SysfsIO, d: Path, values: dict) -> None:
    """Write a :func:`read_inputs` result back: ``nr_*`` first (they make the dirs)."""
    for key in sorted(values):
        if key.startswith("nr_") and not isinstance(values[key], dict):
            io.write(d / key, values[key])
    for key in sorted(values):
        v = values[key]
        if key in READ_ONLY or key == "items" or (key.startswith("nr_")
                                                   and not isinstance(v, dict)):
            continue
        if isinstance(v, dict):
            write_inputs(io, d / key, v)
        else:
            io.write(d / key, v)
    for i, item in enumerate(values.get("items", [])):
        write_inputs(io, d / str(i), item)
