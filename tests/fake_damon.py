"""A fake DAMON sysfs tree and module parameters, answering writes like the kernel.

``FakeDamon(root, version)`` builds ``<root>/kernel/mm/damon/admin`` and
``<root>/module/damon_{reclaim,lru_sort}/parameters``.  Its :meth:`write` is the writer
to inject (``SysfsIO(fake.write)``): it creates kdamond/context/target/scheme/goal/
filter directories on ``nr_*`` writes, refuses ``nr_kdamonds`` changes with EBUSY
while a kdamond runs, refuses bad values with EINVAL, and answers ``state`` commands
(``on`` / ``off`` / ``commit`` validate like ``damon_set_attrs``; a refused ``commit``
is EINVAL from 6.14 on and, before, a kdamond that stops while the write succeeds; ``update_schemes_
tried_regions`` fills ``tried_regions/`` from :attr:`regions`, the scripted regions).
``version`` "6.1" models an old tree (no quota goals, no filters' allow, no
``tried_regions/total_bytes``, no ``apply_interval_us``); "6.12" Debian's; "6.15" adds
``intervals_goal``.  Every write is logged in :attr:`writes` (path relative to root).
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

ACTIONS = ("willneed", "cold", "pageout", "hugepage", "nohugepage", "lru_prio", "lru_deprio",
           "migrate_hot", "migrate_cold", "stat")
FILTER_TYPES = ("anon", "memcg", "young", "addr", "target")
STATE_CMDS = ("on", "off", "commit", "commit_schemes_quota_goals", "update_schemes_stats",
              "update_schemes_tried_regions", "update_schemes_tried_bytes",
              "clear_schemes_tried_regions", "update_schemes_effective_quotas",
              "update_tuned_intervals")
STATS = ("nr_tried", "sz_tried", "nr_applied", "sz_applied", "qt_exceeds")
RECLAIM = ("enabled", "commit_inputs", "min_age", "quota_ms", "quota_sz",
           "quota_reset_interval_ms", "quota_mem_pressure_us", "quota_autotune_feedback",
           "wmarks_interval", "wmarks_high", "wmarks_mid", "wmarks_low", "sample_interval",
           "aggr_interval", "min_nr_regions", "max_nr_regions", "monitor_region_start",
           "monitor_region_end", "skip_anon", "kdamond_pid", "nr_reclaim_tried_regions",
           "bytes_reclaim_tried_regions", "nr_reclaimed_regions", "bytes_reclaimed_regions",
           "nr_quota_exceeds")
LRU_SORT = ("enabled", "commit_inputs", "hot_thres_access_freq", "cold_min_age", "quota_ms",
            "quota_reset_interval_ms", "wmarks_interval", "wmarks_high", "wmarks_mid",
            "wmarks_low", "sample_interval", "aggr_interval", "min_nr_regions",
            "max_nr_regions", "monitor_region_start", "monitor_region_end", "kdamond_pid",
            "nr_lru_sort_tried_hot_regions", "bytes_lru_sort_tried_hot_regions",
            "nr_lru_sorted_hot_regions", "bytes_lru_sorted_hot_regions", "nr_hot_quota_exceeds",
            "nr_lru_sort_tried_cold_regions", "bytes_lru_sort_tried_cold_regions",
            "nr_lru_sorted_cold_regions", "bytes_lru_sorted_cold_regions",
            "nr_cold_quota_exceeds")
DEFAULTS = {"enabled": "N", "commit_inputs": "N", "min_age": "120000000", "quota_ms": "10",
            "quota_sz": "134217728", "quota_reset_interval_ms": "1000",
            "quota_mem_pressure_us": "0", "quota_autotune_feedback": "0",
            "wmarks_interval": "5000000", "wmarks_high": "500", "wmarks_mid": "400",
            "wmarks_low": "200", "sample_interval": "5000", "aggr_interval": "100000",
            "min_nr_regions": "10", "max_nr_regions": "1000", "monitor_region_start": "0",
            "monitor_region_end": "0", "skip_anon": "N", "kdamond_pid": "-1",
            "hot_thres_access_freq": "500", "cold_min_age": "120000000"}
OLD_PARAMS = {"quota_mem_pressure_us", "quota_autotune_feedback", "skip_anon"}


def _err(code: int, path: Path) -> OSError:
    return OSError(code, os.strerror(code), str(path))


class FakeDamon:
    def __init__(self, root: Path, version: str = "6.12", live_pids=(4321,),
                 modules: bool = True, create: bool = True) -> None:
        self.root = Path(root)
        self.version = tuple(int(x) for x in version.split("."))
        self.admin = self.root / "kernel/mm/damon/admin"
        self.kdamonds = self.admin / "kdamonds"
        self.live_pids = set(live_pids)
        self.next_kpid = 900
        #: scripted regions per kdamond index, per target: [(start, end, nr, age)]
        self.regions: dict[int, list[list[tuple[int, int, int, int]]]] = {}
        #: the configuration each running kdamond was last committed with
        self.running: dict[int, dict] = {}
        self.writes: list[tuple[str, str]] = []
        self._stats: dict[tuple[int, int], dict[str, int]] = {}
        if not create:  # attach to a tree another process built
            return
        self.kdamonds.mkdir(parents=True, exist_ok=True)
        (self.kdamonds / "nr_kdamonds").write_text("0\n")
        if modules:
            for mod, names in (("damon_reclaim", RECLAIM), ("damon_lru_sort", LRU_SORT)):
                d = self.root / "module" / mod / "parameters"
                d.mkdir(parents=True, exist_ok=True)
                for n in names:
                    if self.version < (6, 8) and n in OLD_PARAMS:
                        continue
                    (d / n).write_text(DEFAULTS.get(n, "0") + "\n")
        (self.root / "kernel/tracing").mkdir(parents=True, exist_ok=True)

    def at_least(self, *v: int) -> bool:
        return self.version >= v

    # -- building directories --------------------------------------------------------
    @staticmethod
    def _files(d: Path, **files: object) -> None:
        d.mkdir(parents=True, exist_ok=True)
        for name, value in files.items():
            (d / name).write_text(f"{value}\n")

    def _make(self, kind: str, d: Path) -> None:
        f = self._files
        if kind == "kdamond":
            f(d, state="off", pid="-1")
            f(d / "contexts", nr_contexts=0)
        elif kind == "context":
            f(d, avail_operations="vaddr fvaddr paddr", operations="vaddr")
            f(d / "monitoring_attrs/intervals", sample_us=5000, aggr_us=100000,
              update_us=1000000)
            if self.at_least(6, 15):
                f(d / "monitoring_attrs/intervals/intervals_goal", access_bp=0, aggrs=0,
                  min_sample_us=0, max_sample_us=0)
            f(d / "monitoring_attrs/nr_regions", min=10, max=1000)
            f(d / "targets", nr_targets=0)
            f(d / "schemes", nr_schemes=0)
        elif kind == "target":
            f(d, pid_target=0)
            f(d / "regions", nr_regions=0)
        elif kind == "region":
            f(d, start=0, end=0)
        elif kind == "scheme":
            f(d, action="stat")
            if self.at_least(6, 7):
                f(d, apply_interval_us=0)
            if self.at_least(6, 11):
                f(d, target_nid=-1)
            for name in ("sz", "nr_accesses", "age"):
                f(d / "access_pattern" / name, min=0, max=0)
            f(d / "quotas", ms=0, bytes=0, reset_interval_ms=0)
            if self.at_least(6, 9):
                f(d / "quotas", effective_bytes=0)
            f(d / "quotas/weights", sz_permil=0, nr_accesses_permil=0, age_permil=0)
            if self.at_least(6, 8):
                f(d / "quotas/goals", nr_goals=0)
            f(d / "watermarks", metric="none", interval_us=0, high=0, mid=0, low=0)
            f(d / "filters", nr_filters=0)
            stats = {n: 0 for n in STATS}
            if self.at_least(6, 14):
                stats["sz_ops_filter_passed"] = 0
            f(d / "stats", **stats)
            (d / "tried_regions").mkdir(parents=True, exist_ok=True)
            if self.at_least(6, 6):
                f(d / "tried_regions", total_bytes=0)
        elif kind == "goal":
            if self.at_least(6, 9):
                f(d, target_metric="user_input")
            f(d, target_value=0, current_value=0)
        elif kind == "filter":
            f(d, type="anon", matching="N", memcg_path="", addr_start=0, addr_end=0,
              damon_target_idx=0)
            if self.at_least(6, 14):
                f(d, allow="N")
        elif kind == "tried":
            pass

    def _resize(self, parent: Path, n: int, kind: str) -> None:
        for child in list(parent.iterdir()):
            if child.is_dir() and child.name.isdigit():
                shutil.rmtree(child)
        for i in range(n):
            self._make(kind, parent / str(i))

    # -- the writer ------------------------------------------------------------------
    def kdamond_of(self, path: Path) -> int | None:
        rel = Path(path).relative_to(self.kdamonds).parts
        return int(rel[0]) if rel and rel[0].isdigit() else None

    def is_on(self, idx: int) -> bool:
        return (self.kdamonds / str(idx) / "state").read_text().strip() == "on"

    def any_on(self) -> bool:
        n = int((self.kdamonds / "nr_kdamonds").read_text())
        return any(self.is_on(i) for i in range(n))

    def write(self, path: Path, text: str) -> None:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
        if self.root / "module" in path.parents:
            self._write_param(path, text)
        else:
            self._write_sysfs(path, text)
        self.writes.append((str(path.relative_to(self.root)), text))

    def _uint(self, path: Path, text: str) -> int:
        try:
            v = int(text.strip(), 0)
        except ValueError:
            raise _err(errno.EINVAL, path) from None
        if v < 0 and path.name not in ("target_nid", "nid"):
            raise _err(errno.EINVAL, path)
        return v

    def _write_sysfs(self, path: Path, text: str) -> None:
        name, value = path.name, text.strip()
        parent = path.parent
        if name in ("pid", "avail_operations") or "stats" in path.parts \
                or "tried_regions" in path.parts or name == "effective_bytes":
            raise _err(errno.EACCES, path)
        if name == "nr_kdamonds":
            n = self._uint(path, value)
            if self.any_on():
                raise _err(errno.EBUSY, path)
            self._resize(parent, n, "kdamond")
            self.running = {}
        elif name == "nr_contexts":
            n = self._uint(path, value)
            if n > 1:
                raise _err(errno.EINVAL, path)
            idx = self.kdamond_of(path)
            if idx is not None and self.is_on(idx):
                raise _err(errno.EBUSY, path)
            self._resize(parent, n, "context")
        elif name in ("nr_targets", "nr_regions", "nr_schemes", "nr_goals", "nr_filters") \
                and not (name == "nr_regions" and parent.name == "nr_regions"):
            n = self._uint(path, value)
            kind = {"nr_targets": "target", "nr_regions": "region", "nr_schemes": "scheme",
                    "nr_goals": "goal", "nr_filters": "filter"}[name]
            self._resize(parent, n, kind)
        elif name == "state":
            self._state(path, value)
            return
        elif name == "operations":
            avail = (parent / "avail_operations").read_text().split()
            if value not in avail:
                raise _err(errno.EINVAL, path)
        elif name == "action":
            if value not in ACTIONS:
                raise _err(errno.EINVAL, path)
        elif name == "type":
            if value not in FILTER_TYPES:
                raise _err(errno.EINVAL, path)
        elif name in ("matching", "allow"):
            if value not in ("Y", "N", "1", "0", "y", "n"):
                raise _err(errno.EINVAL, path)
        elif name == "metric":
            if value not in ("none", "free_mem_rate"):
                raise _err(errno.EINVAL, path)
        elif name == "target_metric":
            if value not in ("user_input", "some_mem_psi_us", "node_mem_used_bp",
                             "node_mem_free_bp", "active_mem_bp", "inactive_mem_bp"):
                raise _err(errno.EINVAL, path)
        elif name == "memcg_path":
            pass
        else:
            self._uint(path, value)
        path.write_text(value + "\n")

    # -- state commands ----------------------------------------------------------------
    def read_config(self, idx: int) -> dict:
        """The kdamond's input files as a dict (what on / commit would run)."""
        from damon_tui.kernel.sysfs import SysfsIO
        from damon_tui.kernel.tree import ReadOptions, read_dir

        return read_dir(SysfsIO(), self.kdamonds / str(idx) / "contexts",
                        ReadOptions(skip={"stats", "tried_regions", "pid", "state",
                                          "effective_bytes"}))

    def _validate(self, idx: int, path: Path) -> dict:
        cfg = self.read_config(idx)
        for ctx in cfg.get("items", []):
            iv = ctx["monitoring_attrs"]["intervals"]
            nr = ctx["monitoring_attrs"]["nr_regions"]
            if nr["min"] < 3 or nr["min"] > nr["max"] or iv["sample_us"] > iv["aggr_us"]:
                raise _err(errno.EINVAL, path)
            for t in ctx["targets"].get("items", []):
                if ctx["operations"] != "paddr" and t["pid_target"] not in self.live_pids:
                    raise _err(errno.EINVAL, path)
                for r in t["regions"].get("items", []):
                    if r["start"] >= r["end"]:
                        raise _err(errno.EINVAL, path)
        return cfg

    def _state(self, path: Path, cmd: str) -> None:
        idx = self.kdamond_of(path)
        assert idx is not None
        on = self.is_on(idx)
        if cmd not in STATE_CMDS:
            raise _err(errno.EINVAL, path)
        d = path.parent
        if cmd == "on":
            if on:
                raise _err(errno.EBUSY, path)
            for mod in ("damon_reclaim", "damon_lru_sort"):
                p = self.root / "module" / mod / "parameters/enabled"
                if p.exists() and p.read_text().strip() == "Y":
                    raise _err(errno.EBUSY, path)
            self.running[idx] = self._validate(idx, path)
            self.next_kpid += 1
            (d / "pid").write_text(f"{self.next_kpid}\n")
            (d / "state").write_text("on\n")
            return
        if cmd == "off":
            if not on:
                raise _err(errno.EINVAL, path)
            self.stop_kdamond(idx)
            return
        if not on:
            raise _err(errno.EINVAL, path)
        if cmd == "commit":
            try:
                self.running[idx] = self._validate(idx, path)
            except OSError:
                if self.at_least(6, 14):  # damon_call: the writer gets the error
                    raise
                # before 6.14 the kdamond's aggregation callback commits: the write
                # succeeds, the callback's error ends kdamond_fn
                self.stop_kdamond(idx)
        elif cmd == "update_schemes_tried_regions":
            self._fill_tried(idx)
        elif cmd == "update_schemes_stats":
            self._write_stats(idx)

    def stop_kdamond(self, idx: int) -> None:
        """The kdamond stops (``off``, or its targets are gone)."""
        d = self.kdamonds / str(idx)
        (d / "pid").write_text("-1\n")
        (d / "state").write_text("off\n")
        self.running.pop(idx, None)

    def _matches(self, scheme: dict, t_idx: int, region: tuple) -> bool:
        s, e, nr, age = region
        ap = scheme["access_pattern"]
        if not (ap["sz"]["min"] <= e - s <= ap["sz"]["max"]
                and ap["nr_accesses"]["min"] <= nr <= ap["nr_accesses"]["max"]
                and ap["age"]["min"] <= age <= ap["age"]["max"]):
            return False
        for f in scheme.get("filters", {}).get("items", []):
            if f["type"] == "target":
                hit = (t_idx == f["damon_target_idx"]) == (f["matching"] == "Y")
                if hit and f.get("allow", "N") != "Y":
                    return False
        return True

    def _fill_tried(self, idx: int) -> None:
        ctx_dir = self.kdamonds / str(idx) / "contexts/0"
        cfg = self.running[idx]["items"][0]
        regions = self.regions.get(idx, [])
        for si, scheme in enumerate(cfg["schemes"].get("items", [])):
            sdir = ctx_dir / "schemes" / str(si)
            tdir = sdir / "tried_regions"
            for child in list(tdir.iterdir()):
                if child.is_dir():
                    shutil.rmtree(child)
            n = total = 0
            applied = 0
            for t_idx, t_regions in enumerate(regions):
                for r in t_regions:
                    if not self._matches(scheme, t_idx, r):
                        continue
                    self._files(tdir / str(n), start=r[0], end=r[1], nr_accesses=r[2],
                                age=r[3])
                    n += 1
                    total += r[1] - r[0]
                    if scheme["action"] != "stat":
                        applied += r[1] - r[0]
            if (tdir / "total_bytes").exists():
                (tdir / "total_bytes").write_text(f"{total}\n")
            st = self._stats.setdefault((idx, si), {k: 0 for k in STATS})
            st["nr_tried"] += n
            st["sz_tried"] += total
            st["nr_applied"] += n if applied else 0
            st["sz_applied"] += applied

    def _write_stats(self, idx: int) -> None:
        ctx_dir = self.kdamonds / str(idx) / "contexts/0"
        for (k, si), st in self._stats.items():
            sdir = ctx_dir / "schemes" / str(si) / "stats"
            if k == idx and sdir.exists():
                for name, v in st.items():
                    (sdir / name).write_text(f"{v}\n")

    # -- module parameters -------------------------------------------------------------
    def param(self, module: str, name: str) -> str:
        return (self.root / "module" / module / "parameters" / name).read_text().strip()

    def _write_param(self, path: Path, text: str) -> None:
        name, value = path.name, text.strip()
        module = path.parent.parent.name
        if name == "kdamond_pid" or name.startswith(("nr_", "bytes_")):
            raise _err(errno.EACCES, path)
        if name in ("enabled", "commit_inputs", "skip_anon"):
            if value not in ("Y", "N", "y", "n", "1", "0"):
                raise _err(errno.EINVAL, path)
            value = "Y" if value in ("Y", "y", "1") else "N"
        else:
            self._uint(path, value)
        if name == "enabled":
            if value == "Y" and self.param(module, "enabled") != "Y":
                if self.any_on():
                    raise _err(errno.EBUSY, path)
                self.next_kpid += 1
                (path.parent / "kdamond_pid").write_text(f"{self.next_kpid}\n")
            elif value == "N":
                (path.parent / "kdamond_pid").write_text("-1\n")
        if name == "commit_inputs":
            value = "N"  # consumed by the module (6.12: asynchronously, errors unreported)
        path.write_text(value + "\n")

    # -- scenarios ---------------------------------------------------------------------
    def start_foreign(self, operations: str = "paddr") -> int:
        """A kdamond started by raw sysfs writes (not damon-tui); returns its pid."""
        w = self.write
        w(self.kdamonds / "nr_kdamonds", "1")
        k = self.kdamonds / "0"
        w(k / "contexts/nr_contexts", "1")
        ctx = k / "contexts/0"
        w(ctx / "operations", operations)
        w(ctx / "targets/nr_targets", "1")
        w(ctx / "targets/0/regions/nr_regions", "1")
        w(ctx / "targets/0/regions/0/start", str(1 << 20))
        w(ctx / "targets/0/regions/0/end", str(1 << 30))
        w(ctx / "schemes/nr_schemes", "1")
        w(ctx / "schemes/0/action", "pageout")
        w(k / "state", "on")
        return int((k / "pid").read_text())

    def snapshot_tree(self) -> dict[str, str]:
        """Every file's content (to prove nothing changed)."""
        out = {}
        for p in sorted(self.root.rglob("*")):
            if p.is_file():
                out[str(p.relative_to(self.root))] = p.read_text()
        return out
