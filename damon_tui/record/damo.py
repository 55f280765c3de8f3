"""damo's record files: ``json`` and ``json_compressed`` (zlib'd json), read and write.

A damo record is a JSON list with one entry per monitoring target (see
``../shared/spec/damo-compat.md``).  damo writes numbers as strings, addresses
comma-grouped (``"139,637,976,727,552"``), sizes with units (``"0 B"``); plain integers
are accepted too.  We write plain integers, which damo 3.4.3 reads.
"""

from __future__ import annotations

import json
import math
import os
import queue
import sys
import threading
import zlib
from array import array
from collections.abc import Callable, Iterator
from typing import Any

from damon_tui._fast import damo_scan as _scan
from damon_tui.errors import UserError
from damon_tui.record.model import Intervals, Record, TargetData
from damon_tui.record.ours import INTERVAL_CHANGES, frame_intervals
from damon_tui.safe_output import safe_output
from damon_tui.units import UnitError, parse_size, parse_time_us

#: the zlib-compatible inflater: ISA-L's (``isal``, the ``fast`` extra) inflates the same
#: stream about 2.4x faster than zlib, which is used when it is not installed
_ZLIB: Any = zlib
try:
    from isal import isal_zlib  # type: ignore[import-not-found, unused-ignore]

    _ZLIB = isal_zlib
except ImportError:
    pass


class _Missing(Exception):
    def __init__(self, where: str, field: str, msg: str = "missing") -> None:
        super().__init__(f"{where}: {field}: {msg}")


def _plain_int(v: Any) -> int | None:
    """damo's ``text_to_nr`` for integers: ints, floats (truncated), "1,024", "12.5"."""
    if v.__class__ is int:
        return v
    if isinstance(v, float):
        return int(v) if math.isfinite(v) else None
    if isinstance(v, str):
        t = v.replace(",", "").strip()
        try:
            return int(t)
        except ValueError:
            try:
                f = float(t)
            except ValueError:
                return None
            return int(f) if math.isfinite(f) else None
    return None


def _nr(v: Any, where: str, field: str) -> int:
    n = _plain_int(v)
    if n is None:
        raise _Missing(where, field, f"expected a number, got {v!r}")
    return n


def _bytes(v: Any, where: str, field: str) -> int:
    if v.__class__ is int:
        return v
    if isinstance(v, str):
        try:
            return int(v.replace(",", ""))
        except ValueError:
            try:
                return parse_size(v.replace(" ", ""), field)
            except UnitError:
                pass
    elif isinstance(v, float) and math.isfinite(v):
        return int(v)
    raise _Missing(where, field, f"expected an address or size, got {v!r}")


def _time_ns(v: Any, where: str, field: str) -> int:
    n = _plain_int(v)
    if n is not None:
        return n
    if isinstance(v, str):
        try:
            return parse_time_us(v.replace(",", "").strip(), field) * 1000
        except UnitError:
            pass
    raise _Missing(where, field, f"expected a time in ns, got {v!r}")


def _time_us(v: Any, where: str, field: str) -> int:
    if v.__class__ is int:
        return v
    try:
        return parse_time_us(str(v).replace(",", ""), field)
    except UnitError:
        raise _Missing(where, field, f"expected a time, got {v!r}") from None


def _get(d: Any, key: str, where: str) -> Any:
    if not isinstance(d, dict):
        raise _Missing(where, key, "expected an object")
    if key not in d:
        raise _Missing(where, key)
    return d[key]


def _intervals(kv: Any, where: str) -> Intervals | None:
    if kv is None:
        return None
    w = f"{where}: intervals"
    sample = _time_us(_get(kv, "sample_us", w), w, "sample_us")
    aggr = _time_us(_get(kv, "aggr_us", w), w, "aggr_us")
    update = _time_us(_get(kv, "ops_update_us", w), w, "ops_update_us")
    if sample <= 0 or aggr <= 0:
        raise _Missing(w, "sample_us", "must be positive")
    return Intervals(sample, aggr, update)


def _regions_fast(regions: list, starts: array, ends: array, nrs: array, ages: array,
                  nr_samples: int) -> None:
    """The common case: every field present; anything odd raises for the slow path."""
    for r in regions:
        s = r["start"]
        e = r["end"]
        if s.__class__ is not int:
            s = int(s.replace(",", ""))
        if e.__class__ is not int:
            e = int(e.replace(",", ""))
        n = r["nr_accesses"]["samples"]
        if n.__class__ is not int:
            n = int(n.replace(",", ""))
        a = r["age"]["aggr_intervals"]
        if a is None:
            a = 0
            if r["age"]["usec"] is not None:
                raise ValueError("age in usec")
        elif a.__class__ is not int:
            a = int(a.replace(",", ""))
        starts.append(s)
        ends.append(e)
        nrs.append(n)
        ages.append(a)


def _region_slow(r: Any, where: str, iv: Intervals | None) -> tuple[int, int, int, int]:
    s = _bytes(_get(r, "start", where), where, "start")
    e = _bytes(_get(r, "end", where), where, "end")
    if e < s:
        raise _Missing(where, "end", f"end {e} is below start {s}")
    na = _get(r, "nr_accesses", where)
    if not isinstance(na, dict):
        raise _Missing(where, "nr_accesses", "expected an object")
    if na.get("samples") is not None:
        n = _nr(na["samples"], where, "nr_accesses.samples")
    elif na.get("percent") is not None:
        if iv is None:
            raise _Missing(where, "nr_accesses.samples",
                           "missing (a percent needs the record's intervals)")
        pct = float(str(na["percent"]).rstrip("% "))
        n = int(pct * (iv.aggr_us / iv.sample_us) / 100)
    else:
        raise _Missing(where, "nr_accesses.samples")
    age = _get(r, "age", where)
    if not isinstance(age, dict):
        raise _Missing(where, "age", "expected an object")
    if age.get("aggr_intervals") is not None:
        a = _nr(age["aggr_intervals"], where, "age.aggr_intervals")
    elif age.get("usec") is not None and iv is not None:
        a = int(_time_us(age["usec"], where, "age.usec") / iv.aggr_us)
    else:
        a = 0
    for name, val, top in (("start", s, 2**64), ("end", e, 2**64),
                           ("nr_accesses.samples", n, 2**32), ("age.aggr_intervals", a, 2**32)):
        if not 0 <= val < top:
            raise _Missing(where, name, f"out of range: {val}")
    return s, e, n, a


def parse_damo_json(path: str, doc: Any, fmt: str) -> Record:
    """A decoded damo JSON document -> ``Record``."""
    if not isinstance(doc, list):
        raise UserError(f"{path}: not a damo record: expected a JSON list of records, got "
                        f"{type(doc).__name__}")
    targets = []
    try:
        for ri, kv in enumerate(doc):
            where = f"record {ri}"
            if not isinstance(kv, dict):
                raise _Missing(where, "record", "expected an object")
            tid = _get(kv, "target_id", where)
            if tid is not None and not isinstance(tid, int):
                tid = _nr(tid, where, "target_id")
            iv = _intervals(kv.get("intervals"), where)
            snaps = _get(kv, "snapshots", where)
            if not isinstance(snaps, list):
                raise _Missing(where, "snapshots", "expected a list")
            td = TargetData(tid, f"damo target {tid}", iv)
            for si, sn in enumerate(snaps):
                sw = f"{where}: snapshot {si}"
                st = _time_ns(_get(sn, "start_time", sw), sw, "start_time")
                en = _time_ns(_get(sn, "end_time", sw), sw, "end_time")
                for name, val in (("start_time", st), ("end_time", en)):
                    if not -(2**63) <= val < 2**63:
                        raise _Missing(sw, name, f"out of range: {val}")
                if en < st:
                    raise _Missing(sw, "end_time", f"{en} is before start_time {st}")
                regions = _get(sn, "regions", sw)
                if not isinstance(regions, list):
                    raise _Missing(sw, "regions", "expected a list")
                mark = len(td.starts)
                try:
                    _regions_fast(regions, td.starts, td.ends, td.nr_accesses, td.ages,
                                  iv.nr_samples if iv else 0)
                    ok = all(td.starts[i] <= td.ends[i] for i in range(mark, len(td.starts)))
                except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
                    ok = False
                if not ok:
                    for arr in (td.starts, td.ends, td.nr_accesses, td.ages):
                        del arr[mark:]
                    for k, r in enumerate(regions):
                        s, e, n, a = _region_slow(r, f"{sw}: region {k}", iv)
                        td.starts.append(s)
                        td.ends.append(e)
                        td.nr_accesses.append(n)
                        td.ages.append(a)
                td.end_snapshot(st, en)
            targets.append(td)
    except _Missing as e:
        raise UserError(f"{path}: {e}") from None
    header = {"format": fmt, "ops": "unknown", "resolution": "unknown",
              "targets": [{"target_id": t.target_id, "description": t.description}
                          for t in targets]}
    return Record(path, fmt, header, targets)


def _from_scan(path: str, scanned: list, fmt: str) -> Record:
    targets = []
    for ri, (tid, iv, sstart, send, offs, starts, ends, nrs, ages) in enumerate(scanned):
        for si in range(len(sstart)):
            if send[si] < sstart[si]:
                raise UserError(f"{path}: record {ri}: snapshot {si}: end_time: "
                                f"{send[si]} is before start_time {sstart[si]}")
        td = TargetData(tid, f"damo target {tid}", Intervals(*iv) if iv else None,
                        sstart, send, offs, starts, ends, nrs, ages)
        targets.append(td)
    header = {"format": fmt, "ops": "unknown", "resolution": "unknown",
              "targets": [{"target_id": t.target_id, "description": t.description}
                          for t in targets]}
    return Record(path, fmt, header, targets)


#: decompressed json_compressed larger than this and than ``MAX_RATIO`` times the file
#: is refused as a zlib bomb (``DAMON_TUI_MAX_DECOMPRESSED`` bytes overrides it)
MAX_DECOMPRESSED = 256 << 20
MAX_RATIO = 200


def max_decompressed(compressed_size: int) -> int:
    """The decompressed size allowed for a json_compressed file of this size."""
    env = os.environ.get("DAMON_TUI_MAX_DECOMPRESSED", "")
    if env.isdigit():
        return int(env)
    return max(MAX_DECOMPRESSED, MAX_RATIO * compressed_size)


#: decompressed text per piece (the scanner reads json_compressed piece by piece)
INFLATE_PIECE = 4 << 20
#: compressed bytes given to zlib at a time
INFLATE_INPUT = 256 << 10


#: what a corrupted stream raises (zlib's error, or ISA-L's)
INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error,) if _ZLIB is zlib else (
    zlib.error, _ZLIB.error)


def _pieces(path: str, data: bytes) -> Iterator[bytes]:
    """The decompressed text, piece by piece; the zlib bomb and a truncated stream are
    ``UserError``s (raised when met), a corrupted stream one of ``INFLATE_ERRORS``."""
    limit = max_decompressed(len(data))
    d = _ZLIB.decompressobj()
    total = 0
    view = memoryview(data)
    pos = 0
    tail: bytes | memoryview = b""
    while not d.eof:
        if not tail and pos < len(data):
            # the input goes in slices: zlib's unconsumed tail (copied on every call)
            # stays one slice, not the rest of the file
            tail = view[pos:pos + INFLATE_INPUT]
            pos += len(tail)
        part = d.decompress(tail, INFLATE_PIECE)
        tail = d.unconsumed_tail
        if not part and not tail and pos >= len(data):
            break  # all the input in, nothing more out: the stream ends early
        total += len(part)
        if total > limit:
            raise UserError(f"{path}: damo json_compressed record decompresses to more "
                            f"than {limit:,} bytes: refused as a possible zlib bomb (set "
                            "DAMON_TUI_MAX_DECOMPRESSED=BYTES to allow more)")
        if part:
            yield part
    if not d.eof:
        raise UserError(f"{path}: truncated damo json_compressed record (the zlib "
                        "stream ends early)")


def _inflate(path: str, data: bytes) -> bytes:
    return b"".join(_pieces(path, data))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number damo writes")


def _scan_compressed(path: str, data: bytes) -> list | None:
    """Inflate piece by piece into the incremental scanner: its records, or None when
    the text is not of the common shape.  A thread inflates the next pieces while the
    scanner reads this one (zlib and the scanner both run without the GIL; at most
    ``PIECES_AHEAD`` pieces wait).  The whole stream is inflated (and checked) even when
    the scanner gave up, so errors come as ``_inflate`` gives them, in stream order."""
    pieces: queue.Queue = queue.Queue(PIECES_AHEAD)
    stop = threading.Event()

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                pieces.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def inflate() -> None:
        try:
            for part in _pieces(path, data):
                put(part)
                if stop.is_set():
                    return
            put(None)
        except (UserError, MemoryError) as e:
            put(e)
        except INFLATE_ERRORS as e:
            put(e)

    worker = threading.Thread(target=inflate, name="damo-inflate", daemon=True)
    worker.start()
    scan: _scan.DamoScan | None = _scan.DamoScan()
    try:
        while (item := pieces.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            if scan is not None and scan.feed(item) is None:
                scan = None  # not the common shape: the generic parser will read it
    finally:
        stop.set()
        worker.join()
    if scan is None:
        return None
    scanned = scan.feed(b"", True)  # the last feed gives the arrays, or None
    return scanned if isinstance(scanned, list) else None


#: inflated pieces waiting for the scanner (each ``INFLATE_PIECE`` bytes at most)
PIECES_AHEAD = 2


def read_damo(path: str, data: bytes, compressed: bool) -> Record:
    fmt = "damo-json-compressed" if compressed else "damo-json"
    try:
        fast = _scan_compressed(path, data) if compressed else _scan.scan_damo_json(data)
        if fast is not None:
            return _from_scan(path, fast, fmt)
        if compressed:
            data = _inflate(path, data)
    except INFLATE_ERRORS as e:
        raise UserError(f"{path}: corrupted damo json_compressed record: {e}") from None
    try:
        doc = json.loads(data, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a damo record: not UTF-8 text") from None
    except ValueError as e:
        raise UserError(f"{path}: not a valid damo json record: {e}") from None
    except RecursionError:
        raise UserError(f"{path}: not a damo record: JSON nested too deeply") from None
    return parse_damo_json(path, doc, fmt)


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def _tuned_plan(record: Record) -> tuple[list[Intervals | None], Intervals, dict | None,
                                          str | None] | None:
    """How to write a record whose intervals change (damon-tui records only).

    Returns None for constant intervals, else ``(per-frame intervals, the record-level
    intervals, the intervals goal to write, warning or None)``.  damo 3.4.3 computes a
    snapshot's Hz from its ``sample_interval_us`` times the record's aggr/sample ratio,
    but only when the record's ``intervals_goal`` is enabled; that is faithful when the
    ratio is constant (auto-tuning keeps it).  Otherwise damo uses the record's
    intervals for every snapshot, and we say so.
    """
    if record.format != "damon-tui" or not record.header.get(INTERVAL_CHANGES):
        return None
    n = record.nr_snapshots
    per = [frame_intervals(record, k) for k in range(n)]
    known = [iv for iv in per if iv is not None]
    if not known:
        return None
    base = known[0]
    if all((iv.sample_us, iv.aggr_us) == (base.sample_us, base.aggr_us) for iv in known):
        return None
    attrs = record.header.get("attrs")
    goal = attrs.get("intervals_goal") if isinstance(attrs, dict) else None
    if not (isinstance(goal, dict) and goal.get("aggrs")):
        goal = None
    same_ratio = all(iv.aggr_us * base.sample_us == base.aggr_us * iv.sample_us
                     for iv in known)
    warning = None
    if goal is None or not same_ratio or len(known) != n:
        why = ("the record has no intervals goal" if goal is None
               else "its aggregation/sampling ratio changes" if not same_ratio
               else "some snapshots' intervals are unknown")
        warning = (f"{record.path}: the monitoring intervals change within the record and "
                   f"{why}: damo's reports will compute Hz with the first intervals "
                   f"(sample {base.sample_us} us, aggr {base.aggr_us} us)")
        goal = None
    return per, base, goal, warning


def _damo_chunks(record: Record, plan=None) -> Iterator[str]:
    per, base, goal = (plan[0], plan[1], plan[2]) if plan else (None, None, None)
    yield "["
    for ti, t in enumerate(record.targets):
        iv = base or t.intervals or record.intervals
        goal_txt = "" if goal is None else (
            f', "intervals_goal": {{"access_bp": {int(goal.get("access_bp", 0))}, '
            f'"aggrs": {int(goal["aggrs"])}, '
            f'"min_sample_us": {int(goal.get("min_sample_us", 0))}, '
            f'"max_sample_us": {int(goal.get("max_sample_us", 0))}}}')
        ivs = "null" if iv is None else (
            f'{{"sample_us": {iv.sample_us}, "aggr_us": {iv.aggr_us}, '
            f'"ops_update_us": {iv.update_us}{goal_txt}}}')
        tid = "null" if t.target_id is None else int(t.target_id)
        yield (f'{"," if ti else ""}{{"kdamond_idx": 0, "context_idx": 0, "intervals": {ivs}, '
               f'"scheme_idx": null, "target_id": {tid}, "scheme_filters": [], '
               f'"snapshots": [')
        starts, ends, nrs, ages, off = t.starts, t.ends, t.nr_accesses, t.ages, t.offsets
        for k in range(t.nr_snapshots):
            a, b = off[k], off[k + 1]
            fiv = per[k] if per is not None and k < len(per) else None
            if fiv is None or iv is None:
                regs = ",".join(
                    f'{{"start": {s}, "end": {e}, "nr_accesses": {{"samples": {n}, '
                    f'"percent": null}}, "age": {{"usec": null, "aggr_intervals": {g}}}, '
                    f'"probe_hits": [], "sz_filter_passed": 0}}'
                    for s, e, n, g in zip(starts[a:b], ends[a:b], nrs[a:b], ages[a:b],
                                          strict=True))
            else:
                # ages count this snapshot's aggregation intervals: exact in usec, and
                # in the record's (first) aggregation intervals, which damo's heatmap
                # multiplies by the record's aggr_us
                fa, ra = fiv.aggr_us, iv.aggr_us
                regs = ",".join(
                    f'{{"start": {s}, "end": {e}, "nr_accesses": {{"samples": {n}, '
                    f'"percent": null}}, "age": {{"usec": {g * fa}, '
                    f'"aggr_intervals": {(g * fa + ra // 2) // ra}}}, '
                    f'"probe_hits": [], "sz_filter_passed": 0}}'
                    for s, e, n, g in zip(starts[a:b], ends[a:b], nrs[a:b], ages[a:b],
                                          strict=True))
            total = sum(ends[a:b]) - sum(starts[a:b])
            siv = "null" if fiv is None or goal is None else str(fiv.sample_us)
            yield (f'{"," if k else ""}{{"start_time": {t.snap_start[k]}, '
                   f'"end_time": {t.snap_end[k]}, "regions": [{regs}], '
                   f'"total_bytes": {total}, "damos_stats": null, '
                   f'"sample_interval_us": {siv}}}')
        yield '], "data_source": "unknown"}'
    yield "]"


def write_damo(path: str, record: Record, compressed: bool = True,
               warn: Callable[[str], None] | None = None) -> int:
    """Write damo ``json_compressed`` (or plain ``json``); returns bytes written.

    A record whose intervals change is written with per-snapshot sampling intervals
    when damo can use them (see ``_tuned_plan``); when it cannot, ``warn`` (default:
    one line on stderr) says that damo's Hz will use the first intervals.
    """
    plan = _tuned_plan(record)
    if plan is not None and plan[3]:
        if warn is None:
            print(f"damon-tui: warning: {plan[3]}", file=sys.stderr)
        else:
            warn(plan[3])
    written = 0
    try:
        with safe_output(path) as f:
            z = zlib.compressobj() if compressed else None
            for chunk in _damo_chunks(record, plan):
                data = chunk.encode()
                if z is not None:
                    data = z.compress(data)
                f.write(data)
                written += len(data)
            if z is not None:
                tail = z.flush()
                f.write(tail)
                written += len(tail)
    except OSError as e:
        raise UserError(f"{path}: cannot write: {e.strerror}") from None
    return written
