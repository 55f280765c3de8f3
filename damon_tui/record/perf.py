"""``perf script`` text of the ``damon:damon_aggregated`` tracepoint (read only).

Line: ``<comm> <pid> [<cpu>] <sec.usec>: damon:damon_aggregated: target_id=<id>
nr_regions=<n> <start>-<end>: <nr_accesses> [<age>]``.  As damo does, lines are grouped
into a snapshot by counting ``nr_regions``; the timestamp is the snapshot's end, its
start the previous snapshot's end, and the first one's start is estimated from the
mean snapshot length.  Other lines are skipped.
"""

from __future__ import annotations

from damon_tui.errors import UserError, located
from damon_tui.record.model import Record, TargetData

_EVENTS = {"damon_aggregated", "damon:damon_aggregated"}
_DAMOS_EVENTS = {"damos_before_apply", "damon:damos_before_apply"}


def read_perf_script(path: str, data: bytes) -> Record:
    try:
        text = data.decode()
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a perf script text: not UTF-8") from None
    records: dict[int, TargetData] = {}
    pending: dict[int, tuple[int, int, list]] = {}  # target -> (end_ns, nr_regions, regions)
    fake: dict[int | None, int] = {}  # target -> index of a damo fake snapshot
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if len(fields) < 4:
            continue
        ts_idx = 2 if fields[2].endswith(":") else 3
        if len(fields) < ts_idx + 2:
            continue
        event = fields[ts_idx + 1][:-1]
        trace = fields[ts_idx + 2:]
        if event in _EVENTS:
            if len(trace) not in (4, 5):
                continue
            tid_f, nr_f, range_f, acc = trace[0], trace[1], trace[2], trace[3]
            age_f = trace[4] if len(trace) == 5 else None
        elif event in _DAMOS_EVENTS:
            if len(trace) != 7:
                continue
            tid_f, nr_f, range_f, acc, age_f = trace[2], trace[3], trace[4], trace[5], trace[6]
        else:
            continue
        try:
            end_ns = int(float(fields[ts_idx][:-1]) * 1000000000)
            if not 0 <= end_ns < 2**63:
                raise ValueError
        except (ValueError, OverflowError):
            raise located(path, lineno, "timestamp", f"expected seconds, got "
                          f"{fields[ts_idx]!r}") from None
        tid = _int_field(path, lineno, tid_f, "target_id", "target_id=")
        if event in _DAMOS_EVENTS:
            tid = _int_field(path, lineno, tid_f, "target_idx", "target_idx=")
        nr_regions = _int_field(path, lineno, nr_f, "nr_regions", "nr_regions=")
        try:
            s_txt, e_txt = range_f.rstrip(":").split("-")
            start, end = int(s_txt), int(e_txt)
        except ValueError:
            raise located(path, lineno, "region", f"expected <start>-<end>:, got "
                          f"{range_f!r}") from None
        try:
            nr_acc = int(acc)
            age = int(age_f) if age_f is not None else 0
        except ValueError:
            raise located(path, lineno, "nr_accesses/age", "expected integers") from None
        if not (0 <= start < 2**64 and 0 <= end < 2**64):
            raise located(path, lineno, "region", f"address out of range: {range_f!r}")
        if end < start:
            raise located(path, lineno, "region", f"end {end} is below start {start}")
        if not (-1 <= nr_acc < 2**32 and -1 <= age < 2**32):
            raise located(path, lineno, "nr_accesses/age", "value out of range")
        td = records.get(tid)
        if td is None:
            td = records[tid] = TargetData(tid, f"perf target {tid}", None)
        cur = pending.get(tid)
        if cur is None:
            if td.nr_snapshots and td.snap_end[-1] > end_ns:
                raise located(path, lineno, "timestamp", "trace is not time-sorted")
            cur = pending[tid] = (end_ns, nr_regions, [])
        cur[2].append((start, end, nr_acc, age))
        if len(cur[2]) >= cur[1]:
            if _close(td, cur):
                fake[tid] = td.nr_snapshots - 1
            del pending[tid]
    for tid, cur in pending.items():
        if _close(records[tid], cur):
            fake[tid] = records[tid].nr_snapshots - 1
    if not records:
        raise UserError(f"{path}: no damon:damon_aggregated events found (not a perf "
                        "script of DAMON's tracepoint)")
    targets = list(records.values())
    for td in targets:
        _estimate_first_start(td)
        # damo's single-snapshot marker (one 0-0 region, -1 -1), only needed for the above
        if fake.get(td.target_id) == td.nr_snapshots - 1 and td.nr_snapshots >= 2:
            td.truncate(td.nr_snapshots - 1)
    header = {"format": "perf-script", "ops": "unknown", "resolution": "unknown",
              "targets": [{"target_id": t.target_id, "description": t.description}
                          for t in targets]}
    return Record(path, "perf-script", header, targets)


def _int_field(path: str, lineno: int, text: str, name: str, prefix: str) -> int:
    try:
        return int(text.split("=", 1)[1])
    except (IndexError, ValueError):
        raise located(path, lineno, name, f"expected {prefix}<integer>, got {text!r}") from None


def _close(td: TargetData, cur: tuple[int, int, list]) -> bool:
    """Append the snapshot; True if it is damo's fake marker snapshot."""
    end_ns, _n, regions = cur
    start_ns = td.snap_end[-1] if td.nr_snapshots else end_ns
    clean = [(s, e, max(n, 0), max(a, 0)) for s, e, n, a in regions]
    td.append(start_ns, end_ns, clean)
    return len(regions) == 1 and regions[0] == (0, 0, -1, -1)


def _estimate_first_start(td: TargetData) -> None:
    n = td.nr_snapshots
    if n < 2:
        return
    mean = float(td.snap_end[-1] - td.snap_end[0]) / (n - 1)
    td.snap_start[0] = int(td.snap_end[0] - mean)
