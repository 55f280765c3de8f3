"""The wheel carries every package of the source tree (the list in pyproject is explicit
because ``damon_tui._fast`` lives in ``_fast/``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_source_package_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "damon_tui").rglob("__init__.py")}
    assert found - listed == set(), "packages missing from pyproject.toml"
    assert "damon_tui._fast" in listed and config["package-dir"]["damon_tui._fast"] == "_fast"


def test_the_version_has_one_source():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and "\nversion =" not in text.split("[tool")[0]
