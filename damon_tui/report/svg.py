"""The heatmap as an SVG picture: time on the x axis, addresses on the y axis (as in
damo's gnuplot images), a colour legend, and labelled axes.  No dependencies."""

from __future__ import annotations

import os
from html import escape

from damon_tui.report.fmt import format_sz, format_time_ns
from damon_tui.report.heatmap import Heatmap
from damon_tui.safe_output import safe_output

#: colour stops per colour set (0 = coldest, 1 = hottest), RGB
_STOPS = {
    "gray": [(0.0, (24, 24, 24)), (1.0, (250, 250, 250))],
    "flame": [(0.0, (20, 10, 40)), (0.35, (150, 20, 20)), (0.7, (240, 140, 20)),
              (1.0, (255, 250, 180))],
    "emotion": [(0.0, (20, 20, 90)), (0.35, (30, 90, 220)), (0.6, (40, 170, 60)),
                (0.8, (230, 200, 30)), (1.0, (210, 30, 30))],
}
#: colour levels of the picture (runs of equal colour are drawn as one rectangle)
LEVELS = 64


def _colour(colorset: str, x: float) -> str:
    stops = _STOPS[colorset]
    x = min(max(x, 0.0), 1.0)
    for (x0, c0), (x1, c1) in zip(stops, stops[1:], strict=False):
        if x <= x1:
            f = 0.0 if x1 == x0 else (x - x0) / (x1 - x0)
            r, g, b = (round(a + (bb - a) * f) for a, bb in zip(c0, c1, strict=True))
            return f"#{r:02x}{g:02x}{b:02x}"
    r, g, b = stops[-1][1]
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap_svg(hm: Heatmap, colorset: str = "gray", title: str = "") -> str:
    """The SVG document text."""
    W, H = 900, 560
    left, right, top, bottom = 150, 140, 40, 60
    pw, ph = W - left - right, H - top - bottom
    cw, ch = pw / hm.rows, ph / hm.cols  # x = time rows, y = address columns
    lh = hm.lowest_highest()
    lo, hi = lh if lh else (0.0, 0.0)
    span = (hi - lo) or 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="monospace" font-size="11">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="14">'
           f'{escape(title or "heatmap")} (target {hm.target_id})</text>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#dddddd"/>']
    for r in range(hm.rows):
        x = left + r * cw
        c = 0
        while c < hm.cols:
            h = hm.heat(r, c)
            if h is None:
                c += 1
                continue
            level = min(int((h - lo) / span * LEVELS), LEVELS - 1)
            c2 = c + 1
            while c2 < hm.cols:
                h2 = hm.heat(r, c2)
                if h2 is None or min(int((h2 - lo) / span * LEVELS), LEVELS - 1) != level:
                    break
                c2 += 1
            # address grows upwards: column c is at the bottom
            y = top + ph - c2 * ch
            out.append(f'<rect x="{x:.2f}" y="{y:.2f}" width="{cw + 0.05:.2f}" '
                       f'height="{(c2 - c) * ch + 0.05:.2f}" '
                       f'fill="{_colour(colorset, (level + 0.5) / LEVELS)}"/>')
            c = c2
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" '
               'stroke="black"/>')
    time_len = hm.time_unit * hm.rows
    addr_len = hm.addr_unit * hm.cols
    for i in range(6):
        f = i / 5
        x = left + f * pw
        out.append(f'<line x1="{x:.1f}" y1="{top + ph}" x2="{x:.1f}" y2="{top + ph + 5}" '
                   'stroke="black"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 18}" text-anchor="middle">'
                   f'{escape(format_time_ns(f * time_len))}</text>')
        y = top + ph - f * ph
        addr = hm.addr_start + int(f * addr_len)
        out.append(f'<line x1="{left - 5}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" '
                   'stroke="black"/>')
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{addr:#x}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{H - 15}" text-anchor="middle">time since '
               f'{escape(format_time_ns(hm.time_start))} ({escape(format_time_ns(time_len))}'
               f', {escape(format_time_ns(hm.time_unit))} per column)</text>')
    out.append(f'<text x="20" y="{top + ph / 2}" text-anchor="middle" '
               f'transform="rotate(-90 20 {top + ph / 2})">address '
               f'({escape(format_sz(addr_len))}, {escape(format_sz(hm.addr_unit))} per row)'
               '</text>')
    # legend
    lx, lw = left + pw + 30, 18
    steps = 32
    for i in range(steps):
        y = top + ph - (i + 1) * ph / steps
        out.append(f'<rect x="{lx}" y="{y:.2f}" width="{lw}" height="{ph / steps + 0.5:.2f}" '
                   f'fill="{_colour(colorset, (i + 0.5) / steps)}"/>')
    out.append(f'<rect x="{lx}" y="{top}" width="{lw}" height="{ph}" fill="none" '
               'stroke="black"/>')
    unit = "Hz" if hm.heat_unit == "hz" else "samples"
    out.append(f'<text x="{lx + lw + 4}" y="{top + 10}">{hi:.3f}</text>')
    out.append(f'<text x="{lx + lw + 4}" y="{top + ph}">{lo:.3f}</text>')
    out.append(f'<text x="{lx + lw / 2}" y="{top - 8}" text-anchor="middle">access '
               f'frequency ({unit})</text>')
    if lh is None:
        out.append(f'<text x="{left + pw / 2}" y="{top + ph / 2}" text-anchor="middle">'
                   'no data in this range</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_heatmap_svg(hm: Heatmap, path: str, colorset: str = "gray", title: str = "") -> None:
    text = heatmap_svg(hm, colorset, os.path.basename(title))
    with safe_output(path, "w") as f:
        f.write(text)
