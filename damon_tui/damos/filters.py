"""DAMOS filters (damon-reference §3.5): core ``addr`` / ``target`` filters per region.

Ops filters (anon, young, ...) are per page; an ops that cannot evaluate them makes the
scheme refused at validation time (see :func:`damon_tui.damos.runtime.validate_for_ops`).
"""

from __future__ import annotations

from collections.abc import Sequence

from damon_tui.damos.scheme import Filter


def _align_down(x: int, a: int) -> int:
    return x - x % a


def default_reject(filters: Sequence[Filter]) -> tuple[bool, bool]:
    """(core, ops) default-reject flags: a layer rejects unmatched memory iff its last
    filter is an allow filter; the core default passes whenever ops filters exist."""
    core = [f for f in filters if f.is_core]
    ops = [f for f in filters if not f.is_core]
    core_reject = bool(core) and core[-1].allow
    ops_reject = bool(ops) and ops[-1].allow
    if ops:
        core_reject = False
    return core_reject, ops_reject


def filter_match(f: Filter, rl, idx: int, target_idx: int, min_sz: int) -> bool:
    """Whether region ``idx`` of ``rl`` matches ``f`` (== ``f.matching``).

    An ``addr`` filter splits a region that straddles its range (the kernel's
    ``__damos_filter_match``): the piece at ``idx`` is then wholly in or out.
    """
    if f.filter_type == "target":
        matched = target_idx == f.target_idx
    elif f.filter_type == "addr":
        assert f.addr_start is not None and f.addr_end is not None  # Filter.validate
        start = _align_down(f.addr_start, min_sz)
        end = _align_down(f.addr_end, min_sz)
        r_start, r_end = rl.get(idx)[:2]
        if start <= r_start and r_end <= end:
            matched = True
        elif r_end <= start or end <= r_start:
            matched = False
        elif r_start < start:
            rl.split_at(idx, start - r_start)
            matched = False
        else:
            rl.split_at(idx, end - r_start)
            matched = True
    else:
        raise ValueError(f"{f.filter_type} is not a core filter")
    return matched == f.matching


def core_filter_out(filters: Sequence[Filter], reject_default: bool, rl, idx: int,
                    target_idx: int, min_sz: int) -> bool:
    """True if the core filters reject region ``idx`` (first matching filter decides)."""
    for f in filters:
        if not f.is_core:
            continue
        if filter_match(f, rl, idx, target_idx, min_sz):
            return not f.allow
    return reject_default
