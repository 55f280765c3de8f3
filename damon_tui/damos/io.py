"""Scheme input and output: the one-line format and damo's JSON scheme specification.

One-line format (DAMON docs' debugfs ``schemes`` file and old damo), one scheme per
line, ``#`` comments::

    <min_sz> <max_sz> <min_acc> <max_acc> <min_age> <max_age> <action>
        [<quota ms> <quota sz> <reset interval ms>
         [<weight sz> <weight nr_accesses> <weight age>
          [<wmark metric> <interval us> <high> <mid> <low>]]]

i.e. 7, 10, 13 or 18 fields.  Sizes take K/M/G units; accesses are samples per
aggregation, or percent with ``%``; ages are aggregation intervals, or a time with a
unit (``60s``); actions are names or the debugfs codes 0-5; watermark metrics are
``none`` / ``free_mem_rate`` or 0 / 1.  Bare quota times are ms, bare watermark
intervals µs (as in the debugfs file).

JSON follows damo (``damo args damon`` / ``--schemes``): a bare number for
``nr_accesses`` is a percentage and for ``age`` microseconds, like damo; write
``"5 samples"`` or ``"10 aggr_intervals"`` for the other units.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from damon_tui.damos.scheme import (
    ACTIONS,
    DEBUGFS_ACTIONS,
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
from damon_tui.units import (
    ULONG_MAX,
    UnitError,
    format_time_exact,
    parse_number,
    parse_size,
    parse_time_us,
)

ONE_LINE_COUNTS = (7, 10, 13, 18)
_FIELDS = ("min_sz", "max_sz", "min_nr_accesses", "max_nr_accesses", "min_age", "max_age",
           "action", "quota_ms", "quota_sz", "quota_reset_interval_ms", "weight_sz",
           "weight_nr_accesses", "weight_age", "wmarks_metric", "wmarks_interval_us",
           "wmarks_high", "wmarks_mid", "wmarks_low")


# -- small value parsers (raise ValueError naming nothing; callers add the field) --------
def _num(text: Any) -> float:
    if isinstance(text, bool):
        raise ValueError(f"expected a number, got {text!r}")
    s = text if isinstance(text, int | float) else str(text).strip().replace(",", "")
    if s == "min":
        return 0
    if s == "max":
        return ULONG_MAX
    try:
        value = parse_number(s, "value")
    except UnitError as e:  # inf, nan, 1e400, 5000 digits: the field is the caller's
        raise ValueError(str(e).removeprefix("value: ")) from None
    if value > ULONG_MAX:
        raise ValueError(f"out of range (at most {ULONG_MAX}, or max), got {str(s)[:30]!r}")
    return value


def _int(text: Any) -> int:
    v = _num(text)
    if v != int(v):
        raise ValueError(f"expected an integer, got {text!r}")
    return int(v)


def _has_unit(text: Any) -> bool:
    return isinstance(text, str) and bool(re.search(r"[a-zA-Z%]", text)) and \
        text.strip() not in ("min", "max")


def _permil(text: Any) -> int:
    """Permil from ``500``, ``"50 %"`` or ``"50%"``."""
    if isinstance(text, str) and text.strip().endswith("%"):
        return int(round(_num(text.strip()[:-1]) * 10))
    return int(round(_num(text)))


def _bp(text: Any) -> int:
    if isinstance(text, str) and text.strip().endswith("%"):
        return int(round(_num(text.strip()[:-1]) * 100))
    return int(round(_num(text)))


def _time_as(text: Any, unit_us: int) -> int:
    """A time in units of ``unit_us`` µs: a bare number is already in that unit."""
    if not _has_unit(text):
        v = _num(text)
        return int(v) if v >= ULONG_MAX else int(round(v))
    us = parse_time_us(str(text))
    return us if us >= ULONG_MAX else us // unit_us


def _bool(text: Any) -> bool:
    if isinstance(text, bool):
        return text
    s = str(text).strip().lower()
    if s in ("y", "yes", "true", "1", "on"):
        return True
    if s in ("n", "no", "false", "0", "off"):
        return False
    raise ValueError(f"expected true or false (Y/N), got {text!r}")


def _accesses(text: Any, bare: str) -> Accesses:
    """``5`` (``bare`` unit), ``"5 samples"``, ``"50%"``, ``"50 %"``, min, max."""
    s = str(text).strip() if not isinstance(text, int | float) else text
    if isinstance(s, str):
        if s.endswith("%"):
            return Accesses(_num(s[:-1]), "percent")
        m = re.fullmatch(r"(\S+)\s*samples?", s)
        if m:
            return Accesses(_int(m.group(1)), "samples")
        if s in ("min", "max"):
            return Accesses(_num(s), "percent" if s != "max" and bare == "percent" else "samples")
    v = _num(s)
    return Accesses(int(v) if bare == "samples" else v, bare)  # type: ignore[arg-type]


def _age(text: Any, bare: str) -> Age:
    """``10`` (``bare`` unit), ``"10 aggr_intervals"``, ``"60s"``, ``"1 m 5 s"``."""
    if isinstance(text, str):
        s = text.strip()
        m = re.fullmatch(r"(\S+)\s*aggr_intervals?", s)
        if m:
            return Age(_int(m.group(1)), "aggr_intervals")
        if s in ("min", "max"):
            return Age(int(_num(s)), bare)  # type: ignore[arg-type]
        if _has_unit(s):
            return Age(parse_time_us(s), "usec")
    return Age(_int(text), bare)  # type: ignore[arg-type]


def _action(text: str) -> str:
    s = str(text).strip()
    if s.isdigit():
        code = int(s)
        if code >= len(DEBUGFS_ACTIONS):
            raise ValueError(f"unknown action code {code} (0-{len(DEBUGFS_ACTIONS) - 1})")
        return DEBUGFS_ACTIONS[code]
    if s not in ACTIONS:
        raise ValueError(f"unknown action {s!r} (one of {', '.join(ACTIONS)})")
    return s


def _metric(text: str) -> str:
    s = str(text).strip()
    if s in ("0", "none"):
        return "none"
    if s in ("1", "free_mem_rate"):
        return "free_mem_rate"
    raise ValueError(f"unknown watermark metric {s!r} (none/0 or free_mem_rate/1)")


# -- one-line format --------------------------------------------------------------------
def parse_one_line(line: str, where: str = "scheme") -> Scheme:
    """Parse one scheme line; errors name ``where`` and the field."""
    fields = line.split()
    if len(fields) not in ONE_LINE_COUNTS:
        raise UserError(f"{where}: expected 7, 10, 13 or 18 fields "
                        f"(<min_sz> <max_sz> <min_acc> <max_acc> <min_age> <max_age> <action> "
                        f"[quotas [weights [watermarks]]]), got {len(fields)}")
    values: dict[str, Any] = {}
    parsers: dict[str, Callable[[str], Any]] = {
        "min_sz": parse_size, "max_sz": parse_size,
        "min_nr_accesses": lambda v: _accesses(v, "samples"),
        "max_nr_accesses": lambda v: _accesses(v, "samples"),
        "min_age": lambda v: _age(v, "aggr_intervals"),
        "max_age": lambda v: _age(v, "aggr_intervals"),
        "action": _action,
        "quota_ms": lambda v: _time_as(v, 1000), "quota_sz": parse_size,
        "quota_reset_interval_ms": lambda v: _time_as(v, 1000),
        "weight_sz": _permil, "weight_nr_accesses": _permil, "weight_age": _permil,
        "wmarks_metric": _metric, "wmarks_interval_us": lambda v: _time_as(v, 1),
        "wmarks_high": _permil, "wmarks_mid": _permil, "wmarks_low": _permil,
    }
    for name, text in zip(_FIELDS, fields, strict=False):
        try:
            values[name] = parsers[name](text)
        except (ValueError, UnitError) as e:
            msg = str(e).split(": ", 1)[-1] if isinstance(e, UnitError) else str(e)
            raise UserError(f"{where}: {name}: {msg}") from None
    quota = Quota()
    if "quota_ms" in values:
        quota = Quota(ms=values["quota_ms"], sz=values["quota_sz"],
                      reset_interval_ms=values["quota_reset_interval_ms"],
                      weights=Weights(values.get("weight_sz", 0),
                                      values.get("weight_nr_accesses", 0),
                                      values.get("weight_age", 0)))
    wm = Watermarks()
    if "wmarks_metric" in values:
        wm = Watermarks(values["wmarks_metric"], values["wmarks_interval_us"],
                        values["wmarks_high"], values["wmarks_mid"], values["wmarks_low"])
    scheme = Scheme(
        AccessPattern(values["min_sz"], values["max_sz"], values["min_nr_accesses"],
                      values["max_nr_accesses"], values["min_age"], values["max_age"]),
        values["action"], quota=quota, watermarks=wm, origin=where)
    _validated(scheme)
    return scheme


def parse_one_lines(text: str, source: str = "schemes") -> tuple[Scheme, ...]:
    """Parse a one-line-format text (lines or ``;``-separated); ``source`` names it."""
    out: list[Scheme] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        body = raw.split("#", 1)[0]
        for part in body.split(";"):
            if part.strip():
                out.append(parse_one_line(part, f"{source}:{lineno}: scheme {len(out)}"))
    return tuple(out)


def _fmt_acc(a: Accesses) -> str:
    if a.value >= ULONG_MAX:
        return "max"
    return f"{a.value:g}%" if a.unit == "percent" else str(int(a.value))


def _fmt_age(a: Age) -> str:
    if a.value >= ULONG_MAX:
        return "max"
    if a.unit != "usec":
        return str(a.value)
    return format_time_exact(int(a.value))


def format_one_line(s: Scheme, full: bool = False) -> str:
    """A scheme in the one-line format (18 fields when it has quotas/watermarks)."""
    p = s.access_pattern

    def sz(v: int) -> str:
        return "max" if v >= ULONG_MAX else str(v)

    words = [sz(p.min_sz), sz(p.max_sz), _fmt_acc(p.min_nr_accesses),
             _fmt_acc(p.max_nr_accesses), _fmt_age(p.min_age), _fmt_age(p.max_age), s.action]
    q, w = s.quota, s.watermarks
    if full or q != Quota() or w != Watermarks():
        words += [str(q.ms), str(q.sz), str(q.reset_interval_ms), str(q.weights.sz),
                  str(q.weights.nr_accesses), str(q.weights.age), w.metric,
                  str(w.interval_us), str(w.high), str(w.mid), str(w.low)]
    return " ".join(words)


# -- damo JSON --------------------------------------------------------------------------
def _get(d: dict, key: str, default: Any = None) -> Any:
    return d.get(key, default) if isinstance(d, dict) else default


def _obj(value: Any, default: Any = None) -> dict:
    """``value`` if it is a JSON object (``None``: ``default`` or ``{}``), else a
    ``ValueError`` saying what was found instead."""
    if value is None:
        return {} if default is None else default
    if not isinstance(value, dict):
        raise ValueError(f"expected an object {{...}}, got {_kind(value)}")
    return value


def _list(value: Any) -> list:
    """``value`` if it is a JSON array (``None``: ``[]``), else a ``ValueError``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"expected a list [...], got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 30 else text[:27] + '...'}"


def scheme_from_dict(kv: dict, where: str = "scheme") -> Scheme:
    """One damo scheme dict (``Damos.to_kvpairs``) -> :class:`Scheme`."""
    if not isinstance(kv, dict):
        raise UserError(f"{where}: expected an object, got {type(kv).__name__}")
    field = "?"
    try:
        field = "action"
        action = _action(kv.get("action", "stat"))
        pattern = AccessPattern()
        if "access_pattern" in kv:
            field = "access_pattern"
            ap = _obj(kv["access_pattern"])
            field = "access_pattern.sz_bytes"
            sz = _obj(_get(ap, "sz_bytes"))
            # damo's raw output writes max as float-rounded 2**64: clamp
            min_sz = min(parse_size(_get(sz, "min", 0), field), ULONG_MAX)
            max_sz = min(parse_size(_get(sz, "max", "max"), field), ULONG_MAX)
            field = "access_pattern.nr_accesses"
            nr = _obj(_get(ap, "nr_accesses"))
            amin = _accesses(_get(nr, "min", "min"), "percent")
            amax = _accesses(_get(nr, "max", "max"), "percent")
            if amin.value == 0 and amin.unit != amax.unit:
                amin = Accesses(0, amax.unit)
            field = "access_pattern.age"
            ag = _obj(_get(ap, "age"))
            gmin = _age(_get(ag, "min", "min"), "usec")
            gmax = _age(_get(ag, "max", "max"), "usec")
            if gmin.value == 0 and gmin.unit != gmax.unit:
                gmin = Age(0, gmax.unit)
            if gmax.value >= ULONG_MAX and gmin.unit != gmax.unit:
                gmax = Age(ULONG_MAX, gmin.unit)
            if amax.value >= ULONG_MAX and amin.unit != amax.unit:
                amax = Accesses(ULONG_MAX, amin.unit)
            pattern = AccessPattern(min_sz, max_sz, amin, amax, gmin, gmax)
        field = "apply_interval_us"
        apply_us = _time_as(kv.get("apply_interval_us", 0) or 0, 1)
        quota = Quota()
        field = "quotas"
        if _obj(kv.get("quotas")):
            qk = kv["quotas"]
            field = "quotas.time_ms"
            ms = _time_as(qk.get("time_ms", 0), 1000)
            field = "quotas.sz_bytes"
            qsz = parse_size(qk.get("sz_bytes", 0), field)
            field = "quotas.reset_interval_ms"
            reset = _time_as(qk.get("reset_interval_ms", 1000), 1000)
            field = "quotas.weights"
            wk = _obj(qk.get("weights"))
            weights = Weights(_permil(wk.get("sz_permil", 0)),
                              _permil(wk.get("nr_accesses_permil", 0)),
                              _permil(wk.get("age_permil", 0)))
            goals = []
            field = "quotas.goals"
            for gi, g in enumerate(_list(qk.get("goals"))):
                field = f"quotas.goals[{gi}]"
                g = _obj(g)
                metric = str(g.get("metric", "user_input"))
                if "target_value_bp" in g:
                    target, current = _int(g["target_value_bp"]), _int(g.get("current_value_bp", 0))
                elif metric == "some_mem_psi_us":
                    target = _time_as(g.get("target_value", 0), 1)
                    current = _int(g.get("current_value", 0))
                elif metric.endswith("_bp"):
                    target = _bp(g.get("target_value", 0))
                    current = _bp(g.get("current_value", 0))
                else:
                    target = _int(g.get("target_value", 0))
                    current = _int(g.get("current_value", 0))
                nid = g.get("nid")
                goals.append(QuotaGoal(metric, target, current,
                                       None if nid is None else _int(nid)))
            field = "quotas"
            quota = Quota(ms, qsz, reset, weights, tuple(goals),
                          qk.get("goal_tuner") or "consist",
                          _int(qk.get("fail_charge_num", 0)),
                          _int(qk.get("fail_charge_denom", 0)))
        wm = Watermarks()
        field = "watermarks"
        if _obj(kv.get("watermarks")):
            wk = kv["watermarks"]
            field = "watermarks.metric"
            metric = _metric(wk.get("metric", "none"))
            field = "watermarks.interval_us"
            interval = _time_as(wk.get("interval_us", 0), 1)
            field = "watermarks"
            wm = Watermarks(metric, interval, _permil(wk.get("high_permil", 0)),
                            _permil(wk.get("mid_permil", 0)), _permil(wk.get("low_permil", 0)))
        filters = []
        field = "filters"
        for fi, fk in enumerate(_list(kv.get("filters"))):
            field = f"filters[{fi}]"
            filters.append(_filter_from_dict(_obj(fk)))
        field = "target_nid"
        nid = kv.get("target_nid")
        scheme = Scheme(pattern, action, apply_us, quota, wm, tuple(filters),
                        None if nid is None else _int(nid), origin=where)
    except (ValueError, UnitError, TypeError, AttributeError) as e:
        msg = str(e)
        if isinstance(e, UnitError) and ": " in msg:
            msg = msg.split(": ", 1)[1]
        raise UserError(f"{where}: {field}: {msg}") from None
    _validated(scheme)
    return scheme


def _filter_from_dict(fk: dict) -> Filter:
    ftype = fk.get("filter_type")
    if ftype is None:
        raise ValueError("filter_type is missing")
    allow = fk.get("allow", fk.get("filter_pass", False))
    kw: dict[str, Any] = {}
    if ftype == "addr":
        ar = _obj(fk.get("address_range"))
        kw["addr_start"] = _int(ar.get("start"))
        kw["addr_end"] = _int(ar.get("end"))
    elif ftype == "target":
        kw["target_idx"] = _int(fk.get("damon_target_idx"))
    elif ftype == "memcg":
        kw["memcg_path"] = fk.get("memcg_path")
    elif ftype == "hugepage_size" and fk.get("hugepage_size"):
        pair = _list(fk["hugepage_size"])
        if len(pair) != 2:
            raise ValueError(f"hugepage_size: expected [MIN, MAX], got {_kind(pair)}")
        lo, hi = pair
        kw["hugepage_min"], kw["hugepage_max"] = parse_size(lo), parse_size(hi)
    return Filter(ftype, _bool(fk.get("matching", True)), _bool(allow), **kw)


def _validated(s: Scheme) -> None:
    try:
        s.validate()
    except ValueError as e:
        raise UserError(f"{s.origin}: {e}") from None


def schemes_from_json(doc: Any, source: str = "schemes") -> tuple[Scheme, ...]:
    """Schemes from a damo JSON document: a scheme list, one scheme, ``{"schemes":...}``
    or a kdamonds specification (every context's schemes, in order)."""
    if isinstance(doc, dict) and "kdamonds" in doc:
        out: list[Scheme] = []
        for ki, kd in enumerate(doc["kdamonds"] or []):
            for ci, ctx in enumerate(_get(kd, "contexts", []) or []):
                for si, s in enumerate(_get(ctx, "schemes", []) or []):
                    out.append(scheme_from_dict(
                        s, f"{source}: kdamonds[{ki}].contexts[{ci}].schemes[{si}]"))
        return tuple(out)
    if isinstance(doc, dict) and "schemes" in doc:
        doc = doc["schemes"]
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list):
        raise UserError(f"{source}: expected a list of schemes or a kdamonds object")
    return tuple(scheme_from_dict(s, f"{source}: scheme {i}") for i, s in enumerate(doc))


def load_schemes(arg: str) -> tuple[Scheme, ...]:
    """``--schemes`` value: a file (JSON or one-line) or the text itself."""
    path = Path(arg)
    source = "--schemes"
    text = arg
    try:
        if len(arg) < 4096 and "\n" not in arg and path.is_file():
            text = path.read_text()
            source = str(path)
    except OSError as e:
        raise UserError(f"{arg}: cannot read scheme file: {e.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{arg}: expected a text scheme file (damo JSON or one-line "
                        "schemes), got binary data") from None
    if len(arg) < 4096 and "\n" not in arg and path.is_dir():
        raise UserError(f"--schemes {arg}: is a directory, not a scheme file")
    stripped = text.lstrip()
    if source == "--schemes" and len(arg.split()) == 1:
        # one word cannot be a one-line scheme (7 fields at least): a missing file
        raise UserError(f"--schemes {arg}: no such file (expected a scheme file, or "
                        f"one-line text such as \"4K max 0 0 60s max pageout\")")
    if stripped.startswith(("[", "{")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise UserError(f"{source}:{e.lineno}: invalid JSON: {e.msg}") from None
        return schemes_from_json(doc, source)
    schemes = parse_one_lines(text, source)
    if not schemes:
        raise UserError(f"{source}: no scheme found")
    return schemes


def _acc_str(a: Accesses) -> str:
    if a.unit == "percent":
        return f"{a.value:g} %" if a.value < ULONG_MAX else f"{ULONG_MAX} %"
    return f"{int(a.value)} samples"


def _age_str(a: Age) -> Any:
    if a.unit == "usec":
        return int(a.value)
    return f"{int(a.value)} aggr_intervals"


def scheme_to_dict(s: Scheme, stats: Any = None) -> dict:
    """:class:`Scheme` -> damo's scheme dict (readable by ``damo``'s ``Damos.from_kvpairs``)."""
    p, q, w = s.access_pattern, s.quota, s.watermarks
    filters = []
    for f in s.filters:
        filters.append({
            "filter_type": f.filter_type, "matching": f.matching, "allow": f.allow,
            "memcg_path": f.memcg_path,
            "address_range": ({"start": f.addr_start, "end": f.addr_end}
                              if f.filter_type == "addr" else None),
            "damon_target_idx": f.target_idx if f.filter_type == "target" else None,
            "hugepage_size": ([f.hugepage_min or 0, f.hugepage_max or 0]
                              if f.filter_type == "hugepage_size" else None),
        })
    kv: dict[str, Any] = {
        "action": s.action,
        "access_pattern": {
            "sz_bytes": {"min": p.min_sz, "max": p.max_sz},
            "nr_accesses": {"min": _acc_str(p.min_nr_accesses),
                            "max": _acc_str(p.max_nr_accesses)},
            "age": {"min": _age_str(p.min_age), "max": _age_str(p.max_age)},
        },
        "apply_interval_us": s.apply_interval_us,
        "quotas": {
            "time_ms": q.ms, "sz_bytes": q.sz, "reset_interval_ms": q.reset_interval_ms,
            "fail_charge_num": q.fail_charge_num, "fail_charge_denom": q.fail_charge_denom,
            "goals": [{"metric": g.metric, "complement": False, "nid": g.nid,
                       "memcg_path": None, "target_value": g.target_value,
                       "current_value": g.current_value} for g in q.goals],
            "goal_tuner": q.goal_tuner,
            "weights": {"sz_permil": q.weights.sz,
                        "nr_accesses_permil": q.weights.nr_accesses,
                        "age_permil": q.weights.age},
        },
        "watermarks": {"metric": w.metric, "interval_us": w.interval_us,
                       "high_permil": w.high, "mid_permil": w.mid, "low_permil": w.low},
        "filters": filters,
    }
    if s.target_nid is not None:
        kv["target_nid"] = s.target_nid
    if stats is not None:
        d = stats._asdict() if hasattr(stats, "_asdict") else dict(stats)
        kv["stats"] = {k: d.get(k, 0) for k in (
            "nr_tried", "sz_tried", "nr_applied", "sz_applied", "sz_ops_filter_passed",
            "qt_exceeds", "nr_snapshots")}
        kv["stats"]["max_nr_snapshots"] = 0
    return kv


def schemes_to_json(schemes: Iterable[Scheme], stats: Iterable[Any] | None = None) -> str:
    """A damo ``--schemes`` JSON list."""
    stats = list(stats) if stats is not None else None
    docs = [scheme_to_dict(s, stats[i] if stats else None) for i, s in enumerate(schemes)]
    return json.dumps(docs, indent=4)


def kdamonds_to_dict(schemes: Iterable[Scheme], ops: str = "vaddr", sample_us: int = 5000,
                     aggr_us: int = 100_000, update_us: int = 60_000_000,
                     min_nr_regions: int = 10, max_nr_regions: int = 1000,
                     targets: Iterable[dict] = ()) -> dict:
    """A damo kdamonds specification with one context carrying ``schemes``."""
    return {"kdamonds": [{"contexts": [{
        "ops": ops,
        "targets": list(targets),
        "intervals": {"sample_us": sample_us, "aggr_us": aggr_us, "ops_update_us": update_us},
        "nr_regions": {"min": min_nr_regions, "max": max_nr_regions},
        "schemes": [scheme_to_dict(s) for s in schemes],
    }]}]}
