"""Fuzz suite (issue 10 §3): every reading command, option, scheme and profile input of
the hostile classes, run through the CLI; each must end with exit 0 or 2, one error
line, no traceback, within its time limit, and leave a good output file intact.

The corpus is ``tests/fuzz_corpus.py``; ``bench/fuzz_counts.py`` prints the counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_corpus import cases, make_fixtures, run_case

CASES = list(cases(full=False))


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> Path:
    return make_fixtures(tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize("tag", sorted({t for c in CASES for t in c.tags}))
def test_hostile_inputs_are_handled_cleanly(fixtures, tag):
    outcomes = [run_case(c, fixtures) for c in CASES if tag in c.tags]
    bad = [f"{o.kind}: {o.case.name}: {o.detail.strip()[-200:]}" for o in outcomes
           if o.kind != "clean"]
    assert outcomes and not bad, "\n".join(bad)
    assert any(o.code == 2 for o in outcomes)  # the corpus does reach the refusals
