"""End to end on this machine, through a record file: ``damon-tui record -- damon-tui
workload zigzag`` with clear_refs checks; read back, the two 100 MB mappings take turns
being hot and the header says the resolution is per mapping."""

import re
import subprocess
import sys

from damon_tui.record import open_record

SCALE = 0.15  # warm-up 1.5 s, then twelve 0.75 s turns: a, b, a, b, ...
NR_TURNS = 12


def _hot_fraction(regions, lo, hi, nr_samples):
    """Share of ``[lo, hi)`` x samples found accessed (0..1), from a snapshot's regions."""
    total = 0
    for start, end, nr, _ in regions:
        overlap = min(end, hi) - max(start, lo)
        if overlap > 0:
            total += overlap * nr
    return total / ((hi - lo) * nr_samples)


def test_recorded_zigzag_mappings_take_turns(tmp_path):
    out = tmp_path / "zigzag.rec"
    py = [sys.executable, "-m", "damon_tui"]
    proc = subprocess.run(
        [*py, "record", "-o", str(out), "--access-check", "clear-refs",
         "--sample", "50ms", "--aggr", "250ms", "--update", "250ms", "--duration", "60s",
         "--", *py, "workload", "zigzag", "--time-scale", str(SCALE)],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    # (--update 250ms: the launched command maps its regions after monitoring starts;
    # target ranges follow /proc/PID/maps every update interval, like the kernel's)
    # the workload prints its layout on stderr (record passes it through)
    layout = dict(re.findall(r"# region (\w+): (0x[0-9a-f]+-0x[0-9a-f]+)", proc.stderr))
    assert set(layout) == {"a", "b"}, proc.stderr
    a, b = ([int(x, 16) for x in layout[k].split("-")] for k in ("a", "b"))
    assert b[1] - b[0] == a[1] - a[0] == 100_000_000

    record = open_record(out)
    assert record.format == "damon-tui" and not record.warnings
    assert record.header["resolution"] == "per mapping"
    assert record.header["access_check"] == "clear_refs"
    assert record.header["ops"] == "vaddr"
    nr_samples = record.intervals.nr_samples
    assert nr_samples == 5

    labels, fractions = [], []
    for _, _, regions in record.snapshots(0):
        fa = _hot_fraction(regions, *a, nr_samples)
        fb = _hot_fraction(regions, *b, nr_samples)
        fractions.append(f"{fa:.1f}/{fb:.1f}")
        if fa > 0.5 and fb > 0.5:
            labels.append("ab")  # the warm-up (or a window astride a turn change)
        elif fa - fb > 0.5:
            labels.append("a")
        elif fb - fa > 0.5:
            labels.append("b")
        # else: a window astride a turn change (each hot part of the time): no label
    text = " ".join(labels) + "\nfractions a/b: " + " ".join(fractions)
    turns = [x for x in labels if x != "ab"]
    runs = [x for i, x in enumerate(turns) if i == 0 or turns[i - 1] != x]
    # warm-up first (both hot), then a and b take turns, starting with a; each turn
    # seen (a turn whose windows all fell astride changes merges its neighbours: allow 2)
    assert labels[0] == "ab", text
    assert runs[0] == "a", text
    assert NR_TURNS - 2 <= len(runs) <= NR_TURNS, text
    assert turns.count("a") >= NR_TURNS // 2 and turns.count("b") >= NR_TURNS // 2, text
