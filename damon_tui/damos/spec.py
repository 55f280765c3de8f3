"""damo scheme specification as plain JSON-able objects (for record headers)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from damon_tui.damos.io import scheme_to_dict, schemes_from_json


def schemes_to_json(schemes: Iterable, stats: Iterable | None = None) -> list[dict[str, Any]]:
    """damo scheme dicts (``json.dumps``-able), with stats when given."""
    stats = list(stats) if stats is not None else None
    return [scheme_to_dict(s, stats[i] if stats else None) for i, s in enumerate(schemes)]


def schemes_from_obj(obj: Any, source: str = "record") -> tuple:
    """Schemes back from :func:`schemes_to_json`'s output."""
    return schemes_from_json(obj, source)
