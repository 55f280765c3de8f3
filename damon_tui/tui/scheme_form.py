"""The scheme editor's form model (no Textual): text fields <-> ``damos.Scheme``.

Fields hold what the user typed, in DAMON/damo units.  ``build()`` turns them into a
Scheme through damos' own parser and validation (``scheme_from_dict`` and
``validate_for_ops``), and maps each error back to the form field it is about, so the
form shows it inline.

Quota goals beyond the first and DAMOS filters are one text field each, entries
separated by ``;``::

    more goals:  METRIC TARGET [CURRENT] [nid=N]      node_mem_free_bp 9990; user_input 80 40
    filters:     [allow|reject] [not] TYPE [ARGS]     reject addr 0x1000-0x2000; allow not anon

A filter's TYPE is ``addr START-END``, ``target IDX``, ``memcg PATH``,
``hugepage_size MIN-MAX`` or one of anon, active, young, unmapped; ``reject`` is the
default (DAMON's ``allow`` = N), ``not`` clears ``matching``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from damon_tui.damos.io import scheme_from_dict, scheme_to_dict
from damon_tui.damos.runtime import validate_for_ops
from damon_tui.errors import UserError
from damon_tui.units import ULONG_MAX, UnitError, format_size_exact, format_time_exact, parse_size

#: (field name, label, unit/help) in form order
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("min_sz", "min size", "bytes: 4K, 2M, min"),
    ("max_sz", "max size", "bytes: 1G, max"),
    ("min_acc", "min nr_accesses", "0 %, 5 samples"),
    ("max_acc", "max nr_accesses", "100 %, 20 samples, max"),
    ("min_age", "min age", "60s, 10 aggr_intervals"),
    ("max_age", "max age", "time or aggr_intervals, max"),
    ("action", "action", "what to do with matching regions"),
    ("apply_interval", "apply interval", "0 = every aggregation; 1s"),
    ("quota_ms", "quota time", "ms per reset interval: 10ms, 0 = none"),
    ("quota_sz", "quota size", "bytes per reset interval: 1G, 0 = none"),
    ("quota_reset", "quota reset interval", "1s"),
    ("weight_sz", "weight size", "permil"),
    ("weight_nr", "weight nr_accesses", "permil"),
    ("weight_age", "weight age", "permil"),
    ("goal_metric", "quota goal metric", "none, user_input, node_mem_free_bp, ..."),
    ("goal_target", "quota goal target", "value (bp for *_bp metrics)"),
    ("goal_current", "quota goal current", "user_input's current value"),
    ("goals_more", "more quota goals", "METRIC TARGET [CURRENT] [nid=N]; ..."),
    ("wm_metric", "watermarks metric", "none or free_mem_rate"),
    ("wm_interval", "watermarks interval", "check interval: 5s"),
    ("wm_high", "watermark high", "permil of free memory"),
    ("wm_mid", "watermark mid", "permil"),
    ("wm_low", "watermark low", "permil"),
    ("filters", "filters", "reject addr 0x1000-0x2000; allow not anon; target 1"),
)

#: damos reports both bounds of a range under the min's name; the form tells them apart
_PAIRS = {"min_sz": "max_sz", "min_acc": "max_acc", "min_age": "max_age"}

#: error field prefixes of damos' messages -> form field
_ERROR_FIELDS: tuple[tuple[str, str], ...] = (
    ("access_pattern.sz_bytes", "min_sz"),
    ("access_pattern.nr_accesses", "min_acc"),
    ("access_pattern.age", "min_age"),
    ("action", "action"),
    ("apply_interval_us", "apply_interval"),
    ("quotas.time_ms", "quota_ms"),
    ("quotas.ms", "quota_ms"),
    ("quotas.sz_bytes", "quota_sz"),
    ("quotas.sz", "quota_sz"),
    ("quotas.reset_interval_ms", "quota_reset"),
    ("quotas.weights.sz", "weight_sz"),
    ("quotas.weights.nr_accesses", "weight_nr"),
    ("quotas.weights.age", "weight_age"),
    ("quotas.weights", "weight_sz"),
    ("quotas.goals", "goal_metric"),
    ("watermarks.metric", "wm_metric"),
    ("watermarks.interval_us", "wm_interval"),
    ("watermarks.high", "wm_high"),
    ("watermarks.mid", "wm_mid"),
    ("watermarks.low", "wm_low"),
    ("watermarks", "wm_low"),
    ("quotas", "quota_ms"),
    ("filters", "filters"),
    ("target_nid", "action"),
)


@dataclass
class SchemeForm:
    """One scheme as the editor's text fields."""

    min_sz: str = "4K"
    max_sz: str = "max"
    min_acc: str = "0 %"
    max_acc: str = "0 %"
    min_age: str = "10s"
    max_age: str = "max"
    action: str = "stat"
    apply_interval: str = "0"
    quota_ms: str = "0"
    quota_sz: str = "0"
    quota_reset: str = "1s"
    weight_sz: str = "0"
    weight_nr: str = "0"
    weight_age: str = "0"
    goal_metric: str = "none"
    goal_target: str = "0"
    goal_current: str = "0"
    wm_metric: str = "none"
    wm_interval: str = "5s"
    wm_high: str = "0"
    wm_mid: str = "0"
    wm_low: str = "0"
    goals_more: str = ""
    filters: str = ""
    #: untouched parts of an imported scheme (target_nid)
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def names(self) -> list[str]:
        return [f.name for f in fields(self) if f.name != "extra"]

    def set(self, name: str, value: str) -> SchemeForm:
        if name not in self.names():
            raise KeyError(name)
        changes: dict[str, Any] = {name: value}
        return replace(self, **changes)

    # -- to damo JSON ---------------------------------------------------------------
    def to_dict(self) -> dict:
        """damo's scheme dict for these fields (times keep their units).

        A malformed ``goals_more`` or ``filters`` entry raises ``FieldError``."""
        goals = []
        if self.goal_metric.strip() not in ("", "none"):
            goals.append({"metric": self.goal_metric.strip(),
                          "target_value": self.goal_target.strip() or "0",
                          "current_value": self.goal_current.strip() or "0"})
        goals.extend(parse_goals(self.goals_more))
        kv = {
            "action": self.action.strip(),
            "access_pattern": {
                "sz_bytes": {"min": self.min_sz, "max": self.max_sz},
                "nr_accesses": {"min": _acc(self.min_acc), "max": _acc(self.max_acc)},
                "age": {"min": _age(self.min_age), "max": _age(self.max_age)},
            },
            "apply_interval_us": self.apply_interval.strip(),
            "quotas": {
                "time_ms": self.quota_ms.strip(),
                "sz_bytes": self.quota_sz,
                "reset_interval_ms": self.quota_reset.strip(),
                "weights": {"sz_permil": self.weight_sz,
                            "nr_accesses_permil": self.weight_nr,
                            "age_permil": self.weight_age},
                "goals": goals,
            },
            "watermarks": {"metric": self.wm_metric.strip(),
                           "interval_us": self.wm_interval.strip(),
                           "high_permil": self.wm_high, "mid_permil": self.wm_mid,
                           "low_permil": self.wm_low},
            "filters": parse_filters(self.filters),
        }
        if self.extra.get("target_nid") is not None:
            kv["target_nid"] = self.extra["target_nid"]
        return kv

    def build(self, ops=None, attrs=None, where: str = "scheme", _probe: bool = True):
        """``(scheme, None)`` or ``(None, {field: message})`` with damos' own rules."""
        try:
            kv = self.to_dict()
        except FieldError as e:
            return None, {e.field: str(e)}
        try:
            scheme = scheme_from_dict(kv, where)
            if ops is not None:
                kw = {}
                if attrs is not None:
                    kw = {"sample_us": attrs.sample_us, "aggr_us": attrs.aggr_us}
                validate_for_ops([scheme], ops, **kw)
        except UserError as e:
            name = self._error_field(str(e), where)
            if _probe and name in _PAIRS and self._max_is_wrong(name, ops, attrs, where):
                name = _PAIRS[name]
            return None, {name: _strip_where(str(e), where)}
        return scheme, None

    def _max_is_wrong(self, name: str, ops, attrs, where: str) -> bool:
        """Whether an error damos reports on a min/max pair is the max field's own: it
        goes away with the max back to ``max`` but not with the min back to ``0``
        (a min above the max stays the min's)."""
        other = _PAIRS[name]
        if getattr(self, other).strip() == "max":
            return False

        def fixed(**change) -> bool:
            _, errors = replace(self, **change).build(ops, attrs, where, _probe=False)
            return not errors or name not in errors

        return fixed(**{other: "max"}) and not fixed(**{name: "0"})

    def _error_field(self, message: str, where: str) -> str:
        """Like ``error_field``, telling the first goal from the ``goals_more`` ones."""
        name = error_field(message, where)
        if name != "goal_metric":
            return name
        first = self.goal_metric.strip() not in ("", "none")
        text = _strip_where(message, where)
        if text.startswith("quotas.goals["):
            idx = text[len("quotas.goals["):].split("]", 1)[0]
            if not (first and idx == "0"):
                return "goals_more"
        elif text.startswith("quotas.goals.metric"):  # names the metric it refuses
            if not (first and f"'{self.goal_metric.strip()}'" in text) and self.goals_more:
                return "goals_more"
        return name

    @classmethod
    def from_scheme(cls, scheme) -> SchemeForm:
        """The form of an existing scheme (round-trips through damo JSON)."""
        kv = scheme_to_dict(scheme)
        ap, q, w = kv["access_pattern"], kv["quotas"], kv["watermarks"]

        def sz(v: int) -> str:
            if v >= ULONG_MAX:
                return "max"
            return format_size_exact(v)

        def acc(v) -> str:
            s = str(v)
            if s.startswith(str(ULONG_MAX)):
                return "max"
            return s.replace(" samples", " samples")

        def age(v) -> str:
            if isinstance(v, int):
                return "max" if v >= ULONG_MAX else _time_text(v)
            s = str(v)
            return "max" if s.startswith(str(ULONG_MAX)) else s

        goals = q.get("goals") or []
        g0 = goals[0] if goals else None
        extra = {"target_nid": kv.get("target_nid")}
        return cls(
            min_sz=sz(ap["sz_bytes"]["min"]), max_sz=sz(ap["sz_bytes"]["max"]),
            min_acc=acc(ap["nr_accesses"]["min"]), max_acc=acc(ap["nr_accesses"]["max"]),
            min_age=age(ap["age"]["min"]), max_age=age(ap["age"]["max"]),
            action=kv["action"],
            apply_interval=_time_text(kv.get("apply_interval_us", 0)),
            quota_ms=f"{q['time_ms']}ms" if q["time_ms"] else "0",
            quota_sz=sz(q["sz_bytes"]) if q["sz_bytes"] else "0",
            quota_reset=_time_text(q["reset_interval_ms"] * 1000),
            weight_sz=str(q["weights"]["sz_permil"]),
            weight_nr=str(q["weights"]["nr_accesses_permil"]),
            weight_age=str(q["weights"]["age_permil"]),
            goal_metric=g0["metric"] if g0 else "none",
            goal_target=str(g0["target_value"]) if g0 else "0",
            goal_current=str(g0["current_value"]) if g0 else "0",
            wm_metric=w["metric"], wm_interval=_time_text(w["interval_us"]),
            wm_high=str(w["high_permil"]), wm_mid=str(w["mid_permil"]),
            wm_low=str(w["low_permil"]),
            goals_more=format_goals(goals[1:]),
            filters=format_filters(kv.get("filters") or []),
            extra=extra,
        )


class FieldError(ValueError):
    """A form field that cannot be read (``field``: its name)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _entries(text: str) -> list[tuple[int, list[str]]]:
    return [(i, e.split()) for i, e in enumerate(text.split(";")) if e.strip()]


def parse_goals(text: str) -> list[dict]:
    """``METRIC TARGET [CURRENT] [nid=N]; ...`` -> damo goal dicts (values as typed)."""
    out = []
    for i, words in _entries(text):
        nid = None
        rest = []
        for w in words:
            if w.startswith("nid="):
                try:
                    nid = int(w[4:])
                except ValueError:
                    raise FieldError("goals_more", f"more goals: entry {i + 1}: nid: expected "
                                     f"an integer, got {w[4:]!r}") from None
            else:
                rest.append(w)
        if not 2 <= len(rest) <= 3:
            raise FieldError("goals_more", f"more goals: entry {i + 1}: expected METRIC TARGET "
                             f"[CURRENT] [nid=N], got {' '.join(words)!r}")
        goal: dict[str, Any] = {"metric": rest[0], "target_value": rest[1],
                "current_value": rest[2] if len(rest) > 2 else "0"}
        if nid is not None:
            goal["nid"] = nid
        out.append(goal)
    return out


def format_goals(goals: list[dict]) -> str:
    """The ``goals_more`` text of damo goal dicts."""
    parts = []
    for g in goals:
        text = f"{g['metric']} {g['target_value']} {g.get('current_value', 0)}"
        if g.get("nid") is not None:
            text += f" nid={g['nid']}"
        parts.append(text)
    return "; ".join(parts)


def _addr(word: str, what: str, i: int) -> int:
    try:
        return int(word, 0)
    except ValueError:
        pass
    try:
        return parse_size(word, what)
    except (UnitError, ValueError):
        raise FieldError("filters", f"filters: entry {i + 1}: {what}: expected an address "
                         f"like 0x7f0000000000 or 4K, got {word!r}") from None


def _pair(words: list[str], what: str, i: int) -> tuple[int, int]:
    joined = " ".join(words)
    parts = joined.split("-") if len(words) == 1 else words
    if len(parts) != 2:
        raise FieldError("filters", f"filters: entry {i + 1}: {what}: expected START-END, "
                         f"got {joined!r}")
    return _addr(parts[0], what, i), _addr(parts[1], what, i)


def parse_filters(text: str) -> list[dict]:
    """``[allow|reject] [not] TYPE [ARGS]; ...`` -> damo filter dicts."""
    out = []
    for i, words in _entries(text):
        allow, matching = False, True
        if words[0] in ("allow", "reject"):
            allow = words.pop(0) == "allow"
        if words and words[0] == "not":
            matching = False
            words.pop(0)
        if not words:
            raise FieldError("filters", f"filters: entry {i + 1}: the filter type is missing")
        ftype, args = words[0], words[1:]
        f: dict = {"filter_type": ftype, "matching": matching, "allow": allow}
        if ftype == "addr":
            start, end = _pair(args, "address range", i)
            f["address_range"] = {"start": start, "end": end}
        elif ftype == "target":
            if len(args) != 1 or not args[0].isdigit():
                raise FieldError("filters", f"filters: entry {i + 1}: target: expected a "
                                 f"target index, got {' '.join(args)!r}")
            f["damon_target_idx"] = int(args[0])
        elif ftype == "memcg":
            if len(args) != 1:
                raise FieldError("filters", f"filters: entry {i + 1}: memcg: expected a path")
            f["memcg_path"] = args[0]
        elif ftype == "hugepage_size":
            lo, hi = _pair(args, "hugepage_size", i)
            f["hugepage_size"] = [lo, hi]
        elif args:
            raise FieldError("filters", f"filters: entry {i + 1}: {ftype} takes no argument, "
                             f"got {' '.join(args)!r}")
        out.append(f)
    return out


def format_filters(filters: list[dict]) -> str:
    """The ``filters`` text of damo filter dicts."""
    parts = []
    for f in filters:
        words = ["allow" if f.get("allow", f.get("filter_pass")) else "reject"]
        if not f.get("matching", True):
            words.append("not")
        ftype = f.get("filter_type")
        words.append(str(ftype))
        if ftype == "addr":
            ar = f.get("address_range") or {}
            words.append(f"{ar.get('start', 0):#x}-{ar.get('end', 0):#x}")
        elif ftype == "target":
            words.append(str(f.get("damon_target_idx")))
        elif ftype == "memcg":
            words.append(str(f.get("memcg_path")))
        elif ftype == "hugepage_size":
            lo, hi = f.get("hugepage_size") or (0, 0)
            words.append(f"{lo}-{hi}")
        parts.append(" ".join(words))
    return "; ".join(parts)


def error_field(message: str, where: str = "scheme") -> str:
    """The form field an error message of damos is about (``action`` if unsure)."""
    text = _strip_where(message, where)
    for prefix, name in _ERROR_FIELDS:
        if text.startswith(prefix):
            return name
    return "action"


def _strip_where(message: str, where: str) -> str:
    prefix = f"{where}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _acc(text: str) -> str:
    """Accesses as typed; a bare number means samples in the form (shown as units)."""
    s = text.strip()
    if s and s.replace(".", "", 1).isdigit():
        return f"{s} samples"
    return s


def _age(text: str) -> str | int:
    s = text.strip()
    if s.isdigit():
        return f"{s} aggr_intervals"
    return s


def _time_text(us: int) -> str:
    return "0" if us == 0 else format_time_exact(us)
