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


# --------------------------------------------------------------------------- heat colours

#: colour steps of the truecolour ramp (0 = exactly idle; 1..HEAT_STEPS = cold..hot)
HEAT_STEPS = 24
#: a cell whose bytes were never accessed: dark, but not the terminal's background
IDLE_RGB = (28, 28, 38)
_RAMP = ((0.0, (38, 30, 92)), (0.3, (118, 32, 140)), (0.55, (205, 52, 88)),
         (0.8, (248, 142, 38)), (1.0, (255, 243, 168)))


def heat_rgb(step: int) -> tuple[int, int, int]:
    """The ramp's colour for ``step`` (0 = idle, ``HEAT_STEPS`` = the hottest)."""
    if step <= 0:
        return IDLE_RGB
    t = (step - 1) / max(HEAT_STEPS - 1, 1)
    for (t0, c0), (t1, c1) in zip(_RAMP, _RAMP[1:], strict=False):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            r, g, b = (round(x + (y - x) * f) for x, y in zip(c0, c1, strict=True))
            return r, g, b
    return _RAMP[-1][1]


@cache
def heat_color(step: int) -> Color:
    """``heat_rgb`` as a rich ``Color`` (built once per step)."""
    return Color.from_rgb(*heat_rgb(step))


@cache
def half_block_style(upper: int, lower: int) -> Style:
    """``▀`` cell style: the older time row as foreground, the newer as background
    (``-1``: no data, the terminal's own background)."""
    return Style(color=heat_color(upper) if upper >= 0 else None,
                 bgcolor=heat_color(lower) if lower >= 0 else None)
