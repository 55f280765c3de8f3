# ruff: noqa: UP031  (printf formats kept identical to damo's, whose output we match)
"""damo 3.4.3's number formats (``_damo_fmt_str``), so our report lines equal damo's.

These differ on purpose from ``damon_tui.units.format_size``: damo switches unit only
when a value is strictly above it and prints times with its own rules.
"""

from __future__ import annotations

ULONG_MAX = 2**64 - 1
_SZ = ((1 << 60, "EiB"), (1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"),
       (1 << 20, "MiB"), (1 << 10, "KiB"))
_NS_US, _NS_MS, _NS_S = 1000, 1000_000, 1000_000_000
_NS_M, _NS_H = 60 * _NS_S, 3600 * _NS_S


def _format_sz(sz: float, raw: bool, number_format: str) -> str:
    if raw:
        return "%d" % sz
    sz = float(sz)
    if sz == float(ULONG_MAX):
        return "max"
    for div, unit in _SZ:
        if sz > div:
            return number_format % (sz / div, unit)
    return "%d B" % sz


def format_sz(sz: float, raw: bool = False) -> str:
    """``95.391 MiB``; ``raw``: plain integer."""
    return _format_sz(sz, raw, "%.3f %s")


def format_sz_accurate(sz: float, raw: bool = False) -> str:
    """``127.576196 TiB`` (damo's ``format_sz_accurate``)."""
    return _format_sz(sz, raw, "%f %s")


def format_time_ns(t: float, raw: bool = False) -> str:
    """``8 m 59.809 s``, ``1.420 s``, ``56.797 s`` (damo's ``format_time_ns``)."""
    if raw:
        return "%d" % t
    t = float(t)
    sign = ""
    if t < 0:
        sign, t = "-", -t
    if t >= ULONG_MAX:
        return "%smax" % sign
    if t >= _NS_H:
        hour = int(t / _NS_H)
        rest = t - hour * _NS_H
        if rest == 0:
            return "%s%d h" % (sign, hour)
        return "%s%d h %s" % (sign, hour, format_time_ns(rest))
    if t >= _NS_M:
        if t % _NS_M == 0:
            return "%s%d m" % (sign, t / _NS_M)
        if t % _NS_S == 0:
            return "%s%d m %d s" % (sign, t / _NS_M, (t % _NS_M) / _NS_S)
        return "%s%d m %.3f s" % (sign, t / _NS_M, (t % _NS_M) / _NS_S)
    for div, unit in ((_NS_S, "s"), (_NS_MS, "ms"), (_NS_US, "us")):
        if t >= div:
            if t % div == 0:
                return "%s%d %s" % (sign, t / div, unit)
            return "%s%.3f %s" % (sign, t / div, unit)
    return "%s%d ns" % (sign, t)
