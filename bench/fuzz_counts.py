"""Run the fuzz corpus (tests/fuzz_corpus.py) and print the counts issue 10 asks for:
inputs tried, handled cleanly, tracebacks, hangs, losses (and other exit codes).

    python bench/fuzz_counts.py           # every option x every hostile value
    python bench/fuzz_counts.py --quick   # the subset the test suite runs
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzz_corpus import cases, make_fixtures, run_case  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the suite's subset")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every non-clean case")
    args = ap.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    by_tag: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    bad = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        d = make_fixtures(Path(tmp))
        for case in cases(full=not args.quick):
            outcome = run_case(case, d)
            counts[outcome.kind] += 1
            for tag in case.tags:
                by_tag[tag][outcome.kind] += 1
            if outcome.kind != "clean":
                bad.append(outcome)
    elapsed = time.perf_counter() - t0
    tried = sum(counts.values())
    print(f"fuzz corpus ({'quick' if args.quick else 'full'}): {tried} inputs tried in "
          f"{elapsed:.1f} s")
    print(f"  handled cleanly (exit 0 or 2, one line, data intact): {counts['clean']}")
    print(f"  tracebacks: {counts['traceback']}")
    print(f"  hangs (over the time limit): {counts['hang']}")
    print(f"  losses (a good output changed by a failing run): {counts['loss']}")
    print(f"  other exit codes / several error lines: {counts['badexit']}")
    for tag, c in sorted(by_tag.items()):
        print(f"  {tag:>8}: {sum(c.values())} tried, {c['clean']} clean")
    for o in bad if args.verbose else bad[:10]:
        print(f"  NOT CLEAN {o.kind}: {o.case.name}: {o.detail.strip()[-300:]}")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
