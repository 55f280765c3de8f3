"""DAMOS: DAMON-based operation schemes, their quotas, watermarks and filters, scheme
input/output, and the DAMON_RECLAIM / DAMON_LRU_SORT presets."""

from damon_tui.damos.io import (
    format_one_line,
    kdamonds_to_dict,
    load_schemes,
    parse_one_line,
    parse_one_lines,
    scheme_from_dict,
    scheme_to_dict,
    schemes_from_json,
    schemes_to_json,
)
from damon_tui.damos.runtime import DamosRunner, DamosStats, validate_for_ops
from damon_tui.damos.scheme import (
    ACTIONS,
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

__all__ = [
    "ACTIONS", "AccessPattern", "Accesses", "Age", "DamosRunner", "DamosStats", "Filter",
    "Quota", "QuotaGoal", "Scheme", "Watermarks", "Weights", "format_one_line",
    "kdamonds_to_dict", "load_schemes", "parse_one_line", "parse_one_lines",
    "scheme_from_dict", "scheme_to_dict", "schemes_from_json", "schemes_to_json",
    "validate_for_ops",
]
