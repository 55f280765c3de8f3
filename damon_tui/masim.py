"""Parse masim workload configs into frozen dataclasses.

Format (spec: masim-format.md): lines starting with ``#`` at column 0 are comments;
paragraphs are separated by empty lines; paragraph 1 lists regions
(``name, size[, data_file]``); every later paragraph is a phase: a name line, a
duration in milliseconds, then access patterns
(``region, randomness, stride, probability[, rw]``).

Unlike masim's own parser this one is strict and clear: the last line is kept even
without a trailing newline, several empty lines in a row are one separator, and every
malformed line raises :class:`~damon_tui.errors.UserError` as
``file:line: field: expected ..., got ...``.

Comment lines of the form ``# description: text`` (ours, ignored by masim) give the
workload a one-line description.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from damon_tui.errors import located

PAGE_SIZE = 4096
MAX_NAME_LEN = 255
RW_MODES = ("ro", "wo", "rw")


@dataclass(frozen=True)
class Region:
    """One memory region: masim allocates each separately (its own mapping)."""

    name: str
    size: int
    data_file: str | None = None


@dataclass(frozen=True)
class Pattern:
    """One access pattern of a phase: a weighted choice among the phase's patterns."""

    region: str
    random: bool
    stride: int
    probability: int
    rw: str = "wo"


@dataclass(frozen=True)
class Phase:
    name: str
    duration_ms: int
    patterns: tuple[Pattern, ...]

    @property
    def total_probability(self) -> int:
        return sum(p.probability for p in self.patterns)


@dataclass(frozen=True)
class Workload:
    regions: tuple[Region, ...]
    phases: tuple[Phase, ...]
    name: str = ""
    description: str = ""
    source: str = field(default="", compare=False)

    @property
    def total_size(self) -> int:
        """Sum of the region sizes in bytes."""
        return sum(r.size for r in self.regions)

    @property
    def footprint(self) -> int:
        """Bytes of the pages the regions occupy (each region page aligned)."""
        return sum(-(-r.size // PAGE_SIZE) * PAGE_SIZE for r in self.regions)

    @property
    def duration_ms(self) -> int:
        """Nominal duration of one pass over the phases (phases may overrun a batch)."""
        return sum(p.duration_ms for p in self.phases)


def _int(path: object, line: int, fieldname: str, text: str, minimum: int, what: str) -> int:
    s = text.strip()
    try:
        if not s or not (s.isdigit() or (s[0] in "+-" and s[1:].isdigit())):
            raise ValueError
        value = int(s)
    except ValueError:
        raise located(path, line, fieldname, f"expected {what}, got {s!r}") from None
    if value < minimum:
        raise located(path, line, fieldname, f"expected {what}, got {s!r}")
    return value


def _paragraphs(text: str) -> tuple[list[list[tuple[int, str]]], list[str]]:
    """Split into paragraphs of (line number, line); also return description lines."""
    paragraphs: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    descriptions: list[str] = []
    # splitlines keeps a last line without a trailing newline (masim drops it).
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith("#"):
            body = raw[1:].strip()
            if body.lower().startswith("description:"):
                descriptions.append(body[len("description:"):].strip())
            continue
        if raw.strip() == "":
            if current:
                paragraphs.append(current)
                current = []
            continue
        current.append((number, raw))
    if current:
        paragraphs.append(current)
    return paragraphs, descriptions


def _parse_region(path: object, number: int, line: str) -> Region:
    fields = [f.strip() for f in line.split(",")]
    if len(fields) not in (2, 3):
        raise located(
            path, number, "region",
            f"expected 'name, size[, data_file]', got {len(fields)} field(s) in {line.strip()!r}",
        )
    name = fields[0]
    if not name:
        raise located(path, number, "name", "expected a region name, got ''")
    if len(name) > MAX_NAME_LEN:
        raise located(path, number, "name", f"expected at most {MAX_NAME_LEN} characters, "
                      f"got {len(name)}")
    size = _int(path, number, "size", fields[1], 1, "a positive integer number of bytes")
    data_file = None
    if len(fields) == 3:
        if not fields[2]:
            raise located(path, number, "data_file", "expected a file name or 'none', got ''")
        if fields[2] != "none":
            data_file = fields[2]
    return Region(name, size, data_file)


def _parse_pattern(path: object, number: int, line: str, regions: set[str]) -> Pattern:
    fields = [f.strip() for f in line.split(",")]
    if len(fields) not in (4, 5):
        raise located(
            path, number, "pattern",
            "expected 'region, randomness, stride, probability[, rw]', "
            f"got {len(fields)} field(s) in {line.strip()!r}",
        )
    region = fields[0]
    if region not in regions:
        known = ", ".join(sorted(regions))
        raise located(path, number, "region", f"expected one of the regions ({known}), "
                      f"got {region!r}")
    if fields[1] not in ("0", "1"):
        raise located(path, number, "randomness", f"expected 0 (sequential) or 1 (random), "
                      f"got {fields[1]!r}")
    random = fields[1] == "1"
    stride = _int(path, number, "stride", fields[2], 0 if random else 1,
                  "a non-negative integer" if random else "a positive integer number of bytes")
    probability = _int(path, number, "probability", fields[3], 0, "a non-negative integer")
    rw = "wo"
    if len(fields) == 5:
        rw = fields[4]
        if rw not in RW_MODES:
            raise located(path, number, "rw", f"expected ro, wo or rw, got {rw!r}")
    return Pattern(region, random, stride, probability, rw)


def parse_text(text: str, path: str | os.PathLike = "<string>", name: str = "") -> Workload:
    """Parse masim config ``text``; ``path`` is used in error messages."""
    shown = str(path)
    paragraphs, descriptions = _paragraphs(text)
    if not paragraphs:
        raise located(shown, None, None, "expected a regions paragraph, got an empty config")
    regions: list[Region] = []
    seen: set[str] = set()
    for number, line in paragraphs[0]:
        region = _parse_region(shown, number, line)
        if region.name in seen:
            raise located(shown, number, "name", f"expected a unique region name, "
                          f"got {region.name!r} again")
        seen.add(region.name)
        regions.append(region)
    if len(paragraphs) < 2:
        last = paragraphs[0][-1][0]
        raise located(shown, last, None, "expected at least one phase paragraph after the "
                      "regions (separated by an empty line)")
    phases: list[Phase] = []
    for paragraph in paragraphs[1:]:
        (name_line, phase_name), *rest = paragraph
        if not rest:
            raise located(shown, name_line, "duration", "expected the phase duration in ms "
                          "on the line after the phase name, got the end of the paragraph")
        dur_line, dur_text = rest[0]
        duration = _int(shown, dur_line, "duration", dur_text, 0,
                        "a non-negative integer number of milliseconds")
        if len(rest) < 2:
            raise located(shown, dur_line, "pattern", "expected at least one access pattern "
                          "after the duration, got the end of the paragraph")
        patterns = tuple(_parse_pattern(shown, n, line, seen) for n, line in rest[1:])
        phases.append(Phase(phase_name.strip(), duration, patterns))
    return Workload(tuple(regions), tuple(phases), name=name,
                    description=" ".join(descriptions), source=shown)


def parse(path: str | os.PathLike, text: str | None = None) -> Workload:
    """Parse the masim config at ``path`` (or ``text``, with ``path`` for messages)."""
    p = Path(path)
    if text is None:
        try:
            text = p.read_text()
        except OSError as e:
            raise located(p, None, None, f"cannot read the masim config: {e.strerror}") from None
        except UnicodeDecodeError:
            raise located(p, None, None, "expected a text masim config, got binary data") \
                from None
    return parse_text(text, p, name=p.stem if p.suffix == ".cfg" else p.name)
