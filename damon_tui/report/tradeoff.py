"""The what-if trade-off curve as SVG: memory saved (y) against slowdown (x), one point
per swept value, joined in sweep order.  No dependencies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from damon_tui.errors import UserError
from damon_tui.units import format_size


def tradeoff_svg(rows: Sequence, base_avg_rss: float, title: str = "") -> str:
    """The SVG text; ``rows`` have ``label``, ``saved_avg`` (bytes), ``slowdown``."""
    W, H = 720, 460
    left, right, top, bottom = 100, 40, 44, 60
    pw, ph = W - left - right, H - top - bottom
    xs = [r.slowdown * 100 for r in rows]
    ys = [r.saved_avg for r in rows]
    xmax = max([*xs, 1e-3]) * 1.1
    ymin = min([*ys, 0.0])
    ymax = max([*ys, 1.0]) * 1.1
    span = ymax - ymin or 1.0

    def px(x: float) -> float:
        return left + x / xmax * pw

    def py(y: float) -> float:
        return top + ph - (y - ymin) / span * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="monospace" font-size="11">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="14">'
           f'{escape(title or "what-if trade-off")}</text>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#f4f4f4" '
           'stroke="black"/>']
    for i in range(6):
        f = i / 5
        x = left + f * pw
        y = top + ph - f * ph
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">'
                   f'{f * xmax:.3g}%</text>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(format_size(ymin + f * span))}</text>')
    if ymin < 0:
        out.append(f'<line x1="{left}" y1="{py(0):.1f}" x2="{left + pw}" y2="{py(0):.1f}" '
                   'stroke="#888" stroke-dasharray="4 3"/>')
    if len(rows) > 1:
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys, strict=True))
        out.append(f'<polyline points="{pts}" fill="none" stroke="#2060c0" stroke-width="1.5"/>')
    for r, x, y in zip(rows, xs, ys, strict=True):
        pct = 100 * r.saved_avg / base_avg_rss if base_avg_rss else 0.0
        out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="#c03020">'
                   f'<title>{escape(r.label)}: saved {escape(format_size(r.saved_avg))} '
                   f'({pct:.1f}%), slowdown {x:.3f}%</title></circle>')
        out.append(f'<text x="{px(x) + 7:.1f}" y="{py(y) - 6:.1f}">{escape(r.label)}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{H - 18}" text-anchor="middle">modelled '
               'slowdown (refaults x refault cost / time)</text>')
    out.append(f'<text x="18" y="{top + ph / 2}" text-anchor="middle" '
               f'transform="rotate(-90 18 {top + ph / 2})">memory saved (average RSS vs '
               'no scheme)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_tradeoff_svg(rows: Sequence, base, path: str, title: str = "") -> None:
    """Write :func:`tradeoff_svg` of ``rows`` against baseline ``base`` to ``path``."""
    text = tradeoff_svg(rows, base.avg_rss, title)
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as e:
        raise UserError(f"{path}: cannot write: {e.strerror}") from None


def table_lines(base, rows: Sequence, wide: bool = True) -> list[str]:
    """The sweep's table: one line per row, after a header.  ``wide`` (the command
    line) adds the peak saved and the share of time the watermarks had a scheme on; the
    TUI's table fits 80 columns."""
    # header and width on the command line, header and width in the TUI (None: not
    # shown there), the row's cell
    cols: list[tuple[str, int, str | None, int, Callable]] = [
        ("value", 16, "value", 12, lambda r: r.label),
        ("saved avg", 11, "saved avg", 11, lambda r: format_size(r.saved_avg)),
        ("saved%", 7, "saved%", 6,
         lambda r: f"{100 * r.saved_avg / base.avg_rss if base.avg_rss else 0:.1f}%"),
        ("saved peak", 11, None, 0, lambda r: format_size(r.saved_peak)),
        ("applied/s", 13, "applied/s", 13, lambda r: format_size(r.applied_per_s) + "/s"),
        ("refaults", 9, "refaults", 8, lambda r: str(r.refaults)),
        ("slowdown", 9, "slowdown", 8, lambda r: f"{r.slowdown * 100:.3f}%"),
        ("damos ms/s", 10, "ms/s", 7, lambda r: f"{r.damos_ms_per_s:.3f}"),
        ("qt_exceeds", 10, "qt_exc", 6, lambda r: str(r.qt_exceeds)),
        ("wmarks on", 9, None, 0, lambda r: f"{100 * _on_share(r):.1f}%"),
    ]
    shown = [(head, w, cell) if wide else (tui_head, tui_w, cell)
             for head, w, tui_head, tui_w, cell in cols if wide or tui_head]
    return [" ".join(f"{head:>{w}}" for head, w, _ in shown)] + [
        " ".join(f"{cell(r):>{w}}" for _, w, cell in shown) for r in rows]


def _on_share(r) -> float:
    """The share of the replay during which the watermarks had a scheme on."""
    return 1 - r.wmarks_off_us / r.duration_us if r.duration_us else 1.0


def off_notes(base, rows: Sequence, mem_option: str = "--mem-total {}") -> list[str]:
    """One sentence per row whose schemes the watermarks kept off the whole replay,
    with the modelled memory (``mem_option``) that puts the machine in their band."""
    notes = []
    for r in rows:
        if not r.always_off:
            continue
        note = (f"{r.label}: the watermarks kept every scheme off for the whole replay "
                f"(modelled free memory {r.free_permil} permil")
        if r.wmarks_band is None:
            notes.append(note + ")")
            continue
        low, mid = r.wmarks_band
        note += f"; they turn a scheme on below {mid} permil free and off below {low})"
        target = (low + mid) // 2
        if base.avg_rss > 0 and 0 <= target < 1000:
            mib = -(-int(base.avg_rss * 1000 / (1000 - target)) // (1 << 20))
            note += (f"; {mem_option.format(f'{mib}MiB')} models {target} permil free "
                     "at the baseline's average RSS")
        notes.append(note)
    return notes
