"""DESIGN.md's module map names every module and Cython source that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mapped_paths(text: str) -> set[str]:
    """Paths the map names: ``dir/`` lines open a section for the deeper lines below."""
    block = text.split("```\ndamon_tui/", 1)[1].split("```", 1)[0]
    stack: list[tuple[int, str]] = [(0, "damon_tui/")]
    names: set[str] = set()
    for line in ("damon_tui/\n" + block).splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent and len(stack) > 1:
            stack.pop()
        first = line.split()[0]
        if first.endswith("/"):
            base = first if indent == 0 else stack[-1][1] + first
            stack.append((indent, base))
            continue
        for token in re.findall(r"(?<![\w/])([\w<>*]+(?:/[\w<>*]+)*\.pyx?)\b", line):
            names.add(stack[-1][1] + token)
    return names


def test_every_module_is_in_design_md():
    names = mapped_paths((ROOT / "DESIGN.md").read_text())
    globs = [n for n in names if "<" in n or "*" in n]
    missing = []
    for f in sorted((ROOT / "damon_tui").rglob("*.py")) + sorted((ROOT / "_fast").glob("*.pyx")):
        rel = f.relative_to(ROOT).as_posix()
        if f.name == "__init__.py" or rel in names:
            continue
        pattern = [re.escape(g).replace(r"<name>", r"\w+").replace(r"\*", r"\w+") for g in globs]
        if not any(re.fullmatch(p, rel) for p in pattern):
            missing.append(rel)
    assert not missing, f"DESIGN.md's module map lacks {missing}"
