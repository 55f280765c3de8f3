"""Names of a target's memory: which mapping an address belongs to.

An ops set describes its target's mappings as sorted, non-overlapping
``(start, end, name)`` ranges (:meth:`damon_tui.ops.base.Ops.mapping_names`): the
sim names its masim regions, a process's are read from ``/proc/PID/maps``
(``[heap]``, ``[stack]``, a file path, ``anon`` for an anonymous mapping), physical
memory is ``System RAM``.  :class:`NameIndex` answers "what is at this address" and
"what does this region span" for the views, by bisection.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

NamedRange = tuple[int, int, str]

#: the name of a mapping without a path in ``/proc/PID/maps``
ANON = "anon"


def mapping_name(path: str) -> str:
    """The name of a ``/proc/PID/maps`` path field (``anon`` when empty)."""
    return path.strip() or ANON


def short_name(name: str) -> str:
    """A name for narrow columns: a file's base name, others unchanged."""
    if name.startswith("/"):
        deleted = name.endswith(" (deleted)")
        base = name.removesuffix(" (deleted)").rsplit("/", 1)[-1] or name
        return base + (" (deleted)" if deleted else "")
    return name


class NameIndex:
    """Address -> mapping name lookups over sorted ``(start, end, name)`` ranges."""

    def __init__(self, ranges: Sequence[NamedRange] = ()) -> None:
        self.ranges = sorted(ranges)
        self._starts = [r[0] for r in self.ranges]

    def __len__(self) -> int:
        return len(self.ranges)

    def name_at(self, addr: int) -> str | None:
        """The name of the mapping holding ``addr`` (None: in no mapping, a gap)."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self.ranges[i][1]:
            return self.ranges[i][2]
        return None

    def names_in(self, start: int, end: int) -> list[str]:
        """Distinct names of the mappings overlapping ``[start, end)``, in address order."""
        i = max(bisect.bisect_right(self._starts, start) - 1, 0)
        out: list[str] = []
        for s, e, name in self.ranges[i:]:
            if s >= end:
                break
            if e > start and name not in out:
                out.append(name)
        return out

    def label(self, start: int, end: int, width: int = 24) -> str:
        """A short label of what ``[start, end)`` spans: ``libc.so.6``, ``[heap] +2``,
        ``-`` (no mapping); at most ``width`` characters."""
        names = [short_name(n) for n in self.names_in(start, end)]
        if not names:
            return "-"
        more = f" +{len(names) - 1}" if len(names) > 1 else ""
        first = names[0]
        room = max(width - len(more), 1)
        if len(first) > room:
            first = first[: max(room - 1, 0)] + "…"
        return first + more
