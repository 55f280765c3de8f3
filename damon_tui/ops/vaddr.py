"""The ``vaddr`` operations set: a live process's virtual address space."""

from __future__ import annotations

from collections.abc import Iterable

Range = tuple[int, int]


def _align_up(x: int, align: int) -> int:
    return (x + align - 1) // align * align


def three_regions(vmas: Iterable[Range], min_region_sz: int = 4096) -> list[Range]:
    """The kernel's three regions of an address space (damon-reference §2).

    Finds the two biggest gaps between the sorted VMAs (strictly bigger wins, so ties
    keep the earlier gap) and returns the three ranges around them, every boundary
    rounded up to ``min_region_sz``.  Raises ``ValueError`` (the kernel's EINVAL) when
    there are not two non-empty gaps.
    """
    vmas = sorted(vmas)
    if not vmas:
        raise ValueError("three_regions: no VMAs")
    first_gap: Range = (0, 0)
    second_gap: Range = (0, 0)
    prev_end = None
    for start, end in vmas:
        if prev_end is not None:
            gap = (prev_end, start)
            size = start - prev_end
            if size > first_gap[1] - first_gap[0]:
                second_gap = first_gap
                first_gap = gap
            elif size > second_gap[1] - second_gap[0]:
                second_gap = gap
        prev_end = end
    if first_gap[1] - first_gap[0] <= 0 or second_gap[1] - second_gap[0] <= 0:
        raise ValueError("three_regions: fewer than three separable chunks")
    g1, g2 = sorted((first_gap, second_gap))
    a = min_region_sz
    start = vmas[0][0]
    last_end = max(end for _, end in vmas)
    return [
        (_align_up(start, a), _align_up(g1[0], a)),
        (_align_up(g1[1], a), _align_up(g2[0], a)),
        (_align_up(g2[1], a), _align_up(last_end, a)),
    ]
