"""Heatmap colour sets: damo's values.

Each set maps a digit level 0..9 to ``(background, foreground)`` xterm-256 colour
numbers, as damo's ``report heatmap`` draws them.
"""

from __future__ import annotations

from functools import cache

from rich.color import Color
from rich.style import Style

#: damo's colour sets (background, foreground per level)
_DAMO_SETS: dict[str, tuple[list[int], list[int]]] = {
    "gray": ([232] * 10, [237, 239, 241, 243, 245, 247, 249, 251, 253, 255]),
    "flame": ([232, 1, 1, 2, 3, 3, 20, 21, 26, 27], [239, 235, 237, 239, 243, 245, 247, 249,
                                                     251, 255]),
    "emotion": ([232, 234, 20, 21, 26, 2, 3, 1, 1, 1], [239, 235, 237, 239, 243, 245, 247, 249,
                                                        251, 255]),
}

COLOR_SETS = ("gray", "flame", "emotion")
LEVELS = 10


@cache
def color_pairs(name: str) -> tuple[tuple[int, int], ...]:
    """``(bg, fg)`` per level for colour set ``name``."""
    bg, fg = _DAMO_SETS[name]
    return tuple(zip(bg, fg, strict=True))


@cache
def level_styles(name: str) -> tuple[Style, ...]:
    """Rich styles per level (background and digit colour)."""
    return tuple(
        Style(bgcolor=_rgb(bg), color=_rgb(fg)) for bg, fg in color_pairs(name)
    )


def _rgb(n: int) -> Color:
    """xterm-256 colour ``n`` as true colour (spares Textual a conversion per frame)."""
    t = Color.from_ansi(n).get_truecolor()
    return Color.from_rgb(t.red, t.green, t.blue)
