"""Parse and format the units DAMON's docs and damo use.

Sizes: ``4096``, ``4K``, ``4 KiB``, ``1,048,576``, ``1.5G``, ``min``, ``max``.
Times: ``5ms``, ``100 ms``, ``1 m 5 s``, ``60s``, ``min``, ``max`` (to microseconds).
Percentages: ``"10%"``.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

#: damo's ``max`` literal (ULONG_MAX on 64-bit)
ULONG_MAX = 2**64 - 1
UINT_MAX = 2**32 - 1

_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1 << 10,
    "kb": 1 << 10,
    "kib": 1 << 10,
    "m": 1 << 20,
    "mb": 1 << 20,
    "mib": 1 << 20,
    "g": 1 << 30,
    "gb": 1 << 30,
    "gib": 1 << 30,
    "t": 1 << 40,
    "tb": 1 << 40,
    "tib": 1 << 40,
    "p": 1 << 50,
    "pb": 1 << 50,
    "pib": 1 << 50,
    "e": 1 << 60,
    "eb": 1 << 60,
    "eib": 1 << 60,
}

_TIME_UNITS_US = {
    "ns": 0.001,
    "us": 1,
    "ms": 1000,
    "s": 1_000_000,
    "sec": 1_000_000,
    "m": 60_000_000,
    "min": 60_000_000,
    "h": 3_600_000_000,
    "d": 86_400_000_000,
}

_NUM_UNIT = re.compile(r"\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*")


#: digits a typed number may have before the point (ULONG_MAX has 20)
MAX_DIGITS = 40


class UnitError(ValueError):
    """A value could not be parsed; the message says what was expected."""


def parse_number(text: str | int | float, field: str = "value") -> int | float:
    """A finite number from ``"4096"``, ``"1,024"``, ``"1.5"``, ``"1e3"`` or an int/float.

    Integers stay exact; ``inf``, ``nan``, ``1e400`` and numbers of more than
    ``MAX_DIGITS`` digits are refused (``UnitError`` naming ``field``), so callers never
    meet an infinity or Python's int-to-str digit limit.
    """
    if isinstance(text, bool):
        raise UnitError(f"{field}: expected a number, got {text!r}")
    if isinstance(text, int):
        return text
    if isinstance(text, float):
        value: int | float = text
    else:
        s = str(text).strip().replace(",", "")
        if len(s.lstrip("+-").split(".")[0].split("e")[0].split("E")[0]) > MAX_DIGITS:
            raise UnitError(f"{field}: number out of range (at most {ULONG_MAX}), got "
                            f"{_short(s)}")
        try:
            value = int(s)
        except ValueError:
            try:
                value = float(s)
            except ValueError:
                raise UnitError(f"{field}: expected a number, got {_short(s)}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise UnitError(f"{field}: expected a finite number, got {_short(str(text))}")
    return value


def check_ulong(value: int | float | Fraction, field: str) -> int | float | Fraction:
    """``value`` if it fits the kernel's unsigned long, else a ``UnitError``."""
    if value > ULONG_MAX:
        raise UnitError(f"{field}: out of range (at most {ULONG_MAX}, an unsigned long), "
                        f"got {_short(str(value))}")
    return value


def _short(text: str) -> str:
    """``repr`` of a user's text, cut so a 5000-digit number stays one short line."""
    return repr(text) if len(text) <= 40 else repr(text[:20] + "..." + text[-8:])


def parse_size(text: str | int, field: str = "size") -> int:
    """Bytes from ``4K``, ``1 GiB``, ``1,024``, ``min`` or ``max`` (powers of 1024)."""
    if isinstance(text, int):
        return text
    s = str(text).strip()
    low = s.lower()
    if low == "min":
        return 0
    if low == "max":
        return ULONG_MAX
    m = _NUM_UNIT.fullmatch(s)
    if not m or m.group(2).lower() not in _SIZE_UNITS:
        raise UnitError(f"{field}: expected a size like 4096, 4K, 1 GiB, min or max, got "
                        f"{_short(s)}")
    number = _exact(m.group(1), field) * _SIZE_UNITS[m.group(2).lower()]
    if number > ULONG_MAX:
        raise UnitError(f"{field}: out of range (at most {ULONG_MAX} bytes, or max), got "
                        f"{_short(s)}")
    return int(number)


def parse_time_us(text: str | int, field: str = "time", default_unit: str = "us") -> int:
    """Microseconds from ``5ms``, ``100 ms``, ``1 m 5 s``, ``min``, ``max``.

    A bare number is taken in ``default_unit``.
    """
    if isinstance(text, int):
        return int(check_ulong(text * Fraction(str(_TIME_UNITS_US[default_unit])), field))
    s = str(text).strip()
    low = s.lower()
    if low == "min":
        return 0
    if low == "max":
        return ULONG_MAX
    parts = re.findall(r"([0-9][0-9,]*(?:\.[0-9]+)?)\s*([a-zA-Z]*)", s)
    rebuilt = "".join(f"{n}{u}" for n, u in parts)
    if not parts or rebuilt != re.sub(r"\s+", "", s):
        raise UnitError(f"{field}: expected a time like 5ms, 100 ms, 60s or 1 m 5 s, got "
                        f"{_short(s)}")
    total = Fraction(0)
    for number, unit in parts:
        unit = unit.lower() or default_unit
        if unit not in _TIME_UNITS_US:
            raise UnitError(
                f"{field}: unknown time unit {unit!r} in {s!r} (ns, us, ms, s, m, h, d)"
            )
        total += _exact(number, field) * Fraction(str(_TIME_UNITS_US[unit]))
    if total > ULONG_MAX:
        raise UnitError(f"{field}: out of range (at most {ULONG_MAX} us, or max), got "
                        f"{_short(s)}")
    return int(round(total))


def _exact(number: str, field: str) -> Fraction:
    """The exact value of a ``[0-9,]+(.[0-9]+)?`` match (no float rounding at 2**64)."""
    digits = number.replace(",", "")
    if len(digits.split(".")[0]) > MAX_DIGITS or len(digits) > 2 * MAX_DIGITS:
        raise UnitError(f"{field}: number out of range (at most {ULONG_MAX}), got "
                        f"{_short(number)}")
    return Fraction(digits)


def parse_percent(text: str) -> float | None:
    """``"10%"`` or ``"10 %"`` -> 10.0; anything else -> None."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*", str(text))
    return float(m.group(1)) if m else None


def format_size(nbytes: int | float, precision: int = 3, trim: bool = False) -> str:
    """Human size the way damo prints it: ``95.391 MiB``, ``4.000 KiB``, ``0 B``;
    ``trim``: no trailing zeros (``4 KiB``, ``1.5 MiB``)."""
    if nbytes >= ULONG_MAX:
        return "max"
    for unit, div in (("EiB", 1 << 60), ("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30),
                      ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(nbytes) >= div:
            number = f"{nbytes / div:.{precision}f}"
            if trim:
                number = number.rstrip("0").rstrip(".")
            return f"{number} {unit}"
    return f"{int(nbytes)} B"


def format_size_exact(nbytes: int) -> str:
    """The largest unit that divides ``nbytes`` exactly (``4K``, ``2G``, ``4097``):
    ``parse_size`` reads it back unchanged."""
    if nbytes >= ULONG_MAX:
        return "max"
    for unit, div in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if nbytes and nbytes % div == 0:
            return f"{nbytes // div}{unit}"
    return str(nbytes)


def format_size_compact(nbytes: int) -> str:
    """``18.4M``-style sizes for narrow columns (at most 5 characters below 1000T)."""
    for unit, div in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if nbytes >= div:
            v = nbytes / div
            return f"{v:.0f}{unit}" if v >= 100 else f"{v:.1f}{unit}"
    return f"{nbytes}B"


def format_time_us(us: int | float, precision: int = 3) -> str:
    """Human time from microseconds: ``5 ms``, ``1.500 s``, ``2 m 5 s``."""
    if us >= ULONG_MAX:
        return "max"
    if us >= 60_000_000:
        minutes, rest = divmod(us, 60_000_000)
        secs = f"{rest / 1_000_000:.{precision}f}".rstrip("0").rstrip(".")
        return f"{int(minutes)} m {secs} s" if secs != "0" else f"{int(minutes)} m"
    for unit, div in (("s", 1_000_000), ("ms", 1000)):
        if us >= div:
            value = us / div
            return f"{value:g} {unit}" if value == int(value) else f"{value:.{precision}f} {unit}"
    return f"{us:g} us"


def format_rate(hz: float) -> str:
    """A frequency in two significant digits: ``2.9 Hz``, ``29 Hz``, ``1.5 kHz``, ``40 mHz``."""
    if hz <= 0:
        return "0 Hz"
    for unit, div in (("kHz", 1000.0), ("Hz", 1.0), ("mHz", 0.001)):
        if hz >= div or unit == "mHz":
            value = hz / div
            if value == 0 or value >= 10:
                return f"{value:.0f} {unit}"
            return f"{value:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    raise AssertionError  # unreachable


def format_time_exact(us: int) -> str:
    """The largest unit that divides ``us`` exactly (``5s``, ``100ms``, ``2h``, ``1d``,
    ``7us``; ``max``): ``parse_time_us`` reads it back unchanged."""
    if us >= ULONG_MAX:
        return "max"
    for unit, div in (("d", 86_400_000_000), ("h", 3_600_000_000), ("m", 60_000_000),
                      ("s", 1_000_000), ("ms", 1000)):
        if us and us % div == 0:
            return f"{us // div}{unit}"
    return f"{us}us"
