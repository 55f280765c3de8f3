"""The damon-tui record format: a checksummed header, then one checksummed frame per
snapshot, append-only and flushed per frame, so a killed recorder loses at most the
frame being written.

Layout (little-endian)::

    file    = MAGIC, u16 version, u32 header_len, u32 crc32(header), header (JSON)
              frame*
    frame   = 0xF5, varint payload_len, u32 crc32(payload), payload
    payload = u8 flags, body (zlib-compressed when flag 0x01)
    body    = [varint start_ns]           absent with flag 0x02: the previous frame's end
              [zigzag duration_ns]        absent with flag 0x04: the previous duration
              [varint sample_us, aggr_us] absent with flag 0x08: the previous ones
              varint nr_targets, target*,
              [varint ext_len, ext]       present with flag 0x10
    target  = varint target_index, varint nr_regions, u8 address_shift,
              varint nbytes, regions (``_fast/decode.pyx``)

Regions, like the elided fields, are coded against the previous frame, so a frame is
decodable once the frames before it are.  ``ext`` is an optional extension per frame
(JSON bytes; DAMOS per-scheme stats go there).  The
header names the format version, monitoring attributes, operations set, targets,
resolution ("per page" / "per mapping"), start time and optional schemes.

Damage: a damaged frame ends reading (the frames before it are kept, with a warning).
A damaged header (truncated, checksum, JSON) with intact frames is resynchronised: the
first frame is coded on its own, so every snapshot is recovered, but the target ids and
descriptions, ops and schemes (header-only facts) are lost; a frame after the damage
cannot be decoded without the one before it, so there is no resync past a damaged
frame in version 1.  A newer version, or a header that is valid JSON with impossible
values, is refused.  Only regular files are read; zlib'd frame bodies are capped at
``MAX_FRAME_BODY``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import struct
import time
import zlib
from array import array
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO

from damon_tui import __version__
from damon_tui._fast import decode as _dec
from damon_tui.errors import UserError
from damon_tui.record.model import Intervals, Record, TargetData
from damon_tui.safe_output import create_temp, discard, publish

MAGIC = b"\x89DAMON-TUI\r\n\x1a\n"
VERSION = 1
FRAME_MARK = 0xF5
_HEAD = struct.Struct("<HII")
_CRC = struct.Struct("<I")
F_ZLIB, F_START, F_DUR, F_INTERVALS, F_EXT = 0x01, 0x02, 0x04, 0x08, 0x10
#: compress a frame body only when zlib saves at least this fraction
COMPRESS_MIN_SAVING = 0.10


def _varint(v: int, out: bytearray) -> None:
    v &= (1 << 64) - 1
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def _zigzag(v: int) -> int:
    return ((v << 1) ^ (v >> 63)) & ((1 << 64) - 1)


def _unzigzag(v: int) -> int:
    return (v >> 1) ^ -(v & 1)


def make_header(
    *,
    ops: str,
    targets: Sequence[dict],
    attrs: dict | None,
    resolution: str = "per page",
    clock: str = "virtual",
    start_time: float | None = None,
    schemes: Any = None,
    **extra: Any,
) -> dict:
    """A record header; ``targets`` are dicts with ``target_id`` and ``description``."""
    header = {
        "format": "damon-tui record",
        "version": VERSION,
        "created_by": f"damon-tui {__version__}",
        "start_time": time.time() if start_time is None else start_time,
        "ops": ops,
        "clock": clock,
        "resolution": resolution,
        "attrs": attrs,
        "targets": list(targets),
        "schemes": schemes,
    }
    header.update(extra)
    return header


class RecordWriter:
    """Append snapshots to a damon-tui record; every frame is flushed when written.

    The file is created safely (``damon_tui.safe_output``: a new temp file beside
    ``path``, never through a symlink) and renamed over ``path`` when the first frame
    is written (``streaming``, crash-safe from then on) or when the writer closes
    without error (``streaming=False``: a conversion publishes only a whole file).  A
    recording that ends without a frame leaves an existing ``path`` as it was
    (:attr:`kept_old` says so) and creates a header-only file where there was none.
    """

    def __init__(self, path: str | os.PathLike, header: dict, compress: bool | None = None,
                 fsync: bool = False, streaming: bool = True) -> None:
        self.path = os.fspath(path)
        self.streaming = streaming
        #: the file is at ``path`` (renamed from the temp file)
        self.published = False
        #: closed without a frame: ``path`` existed and was left unchanged
        self.kept_old = False
        self.header = header
        self.compress = compress  # None = when it saves COMPRESS_MIN_SAVING
        self.fsync = fsync
        self.nr_frames = 0
        self.nr_regions = 0
        self.bytes_written = 0
        self._index = {t.get("target_id"): i for i, t in enumerate(header["targets"])}
        self._prev: dict[int, tuple[array, array, array, array]] = {}
        self._last: tuple[int, int, int, int] | None = None  # end, duration, sample, aggr
        fd, self._tmp = create_temp(self.path)
        self.published = self._tmp is None  # a stream (/dev/null, a FIFO) is written in place
        self._f: BinaryIO = os.fdopen(fd, "wb")
        blob = json.dumps(header, sort_keys=True).encode()
        try:
            self._write(MAGIC + _HEAD.pack(VERSION, len(blob), zlib.crc32(blob)) + blob)
        except BaseException:
            with contextlib.suppress(OSError):  # the write error is the one to report
                self._f.close()
            discard(self._tmp)
            raise

    # -- lifecycle
    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(ok=exc_type is None)

    def _publish(self) -> None:
        if not self.published:
            publish(self._tmp, self.path)
            self.published = True

    def close(self, ok: bool = True) -> None:
        """Close the file; publish it if it has frames, or if ``ok`` and it would not
        replace an existing file (or it is not ``streaming``)."""
        if self._f.closed:
            return
        try:
            self._f.close()
        except OSError as e:
            if not self.published:
                discard(self._tmp)
            raise UserError(f"{self.path}: cannot write: {e.strerror}") from None
        if self.published:
            return
        if ok and (self.nr_frames or not self.streaming or not os.path.lexists(self.path)):
            self._publish()
        else:
            self.kept_old = ok and os.path.lexists(self.path)
            discard(self._tmp)

    def _write(self, data: bytes) -> None:
        try:
            self._f.write(data)
            self._f.flush()
            if self.fsync:
                os.fsync(self._f.fileno())
        except OSError as e:
            raise UserError(f"{self.path}: cannot write: {e.strerror}") from None
        self.bytes_written += len(data)

    # -- frames
    def target_index(self, target_id: int | None) -> int:
        if target_id in self._index:
            return self._index[target_id]
        raise ValueError(f"target_id {target_id} is not in the record header")

    def write_snapshot(self, snapshot: Any) -> None:
        """Write an engine ``Snapshot`` (times in us, per-target region arrays)."""
        ext = None
        schemes = getattr(snapshot, "schemes", ())
        if schemes:
            ext = json.dumps(_jsonable(schemes)).encode()
        self.write_frame(
            snapshot.start_us * 1000,
            snapshot.end_us * 1000,
            snapshot.sample_us,
            snapshot.aggr_us,
            [(self.target_index(t.target_id), t.starts, t.ends, t.nr_accesses, t.ages)
             for t in snapshot.targets],
            ext,
        )

    def write_frame(self, start_ns: int, end_ns: int, sample_us: int, aggr_us: int,
                    targets: Iterable[tuple[int, array, array, array, array]],
                    ext: bytes | None = None) -> None:
        """Write one snapshot; ``targets`` are ``(target_index, starts, ends,
        nr_accesses, ages)`` with arrays of typecodes Q, Q, I, I."""
        body = bytearray()
        flags = 0
        dur = end_ns - start_ns
        last = self._last
        if last is not None and last[0] == start_ns:
            flags |= F_START
        else:
            _varint(start_ns, body)
        if last is not None and last[1] == dur:
            flags |= F_DUR
        else:
            _varint(_zigzag(dur), body)
        if last is not None and last[2] == sample_us and last[3] == aggr_us:
            flags |= F_INTERVALS
        else:
            _varint(sample_us, body)
            _varint(aggr_us, body)
        self._last = (end_ns, dur, sample_us, aggr_us)
        targets = list(targets)
        _varint(len(targets), body)
        nr_regions = 0
        for idx, starts, ends, nr, ages in targets:
            starts, ends = _typed(starts, "Q"), _typed(ends, "Q")
            nr, ages = _typed(nr, "I"), _typed(ages, "I")
            n = len(starts)
            if not (len(ends) == len(nr) == len(ages) == n):
                raise ValueError("region arrays of one target differ in length")
            prev = self._prev.get(idx)
            if prev is None:
                prev = (array("Q"), array("Q"), array("I"), array("I"))
            shift = _dec.address_shift(starts, ends, 0, n) if n else 0
            buf = bytearray(31 * n + 1)
            used = _dec.encode_target(buf, 0, starts, ends, nr, ages, 0, n,
                                      prev[0], prev[1], prev[2], prev[3], 0, len(prev[0]),
                                      shift)
            _varint(idx, body)
            _varint(n, body)
            body.append(shift)
            _varint(used, body)
            body += memoryview(buf)[:used]
            self._prev[idx] = (array("Q", starts), array("Q", ends), array("I", nr),
                               array("I", ages))
            nr_regions += n
        if ext:
            flags |= F_EXT
            _varint(len(ext), body)
            body += ext
        payload = bytes(body)
        if self.compress is not False:
            packed = zlib.compress(payload, 6)
            if self.compress or len(packed) <= len(payload) * (1 - COMPRESS_MIN_SAVING):
                payload = packed
                flags |= F_ZLIB
        payload = bytes([flags]) + payload
        frame = bytearray([FRAME_MARK])
        _varint(len(payload), frame)
        frame += _CRC.pack(zlib.crc32(payload))
        frame += payload
        self._write(bytes(frame))
        self.nr_frames += 1
        self.nr_regions += nr_regions
        if self.streaming:
            self._publish()


def _typed(a: Any, code: str) -> array:
    if isinstance(a, array) and a.typecode == code:
        return a
    return array(code, a)


def _jsonable(obj: Any) -> Any:
    """Scheme stats (dataclasses, tuples, arrays) as JSON-able values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, array)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (int, float, str, bool)) or obj is None:
        return obj
    return str(obj)


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


class _Frame:
    __slots__ = ("start", "end", "sample_us", "aggr_us", "body", "targets", "ext", "pos")
    start: int
    end: int
    sample_us: int
    aggr_us: int
    body: bytes
    targets: list[tuple[int, int, int, int, int]]
    ext: Any
    pos: int

    def __init__(self, pos: int) -> None:
        self.pos = pos
        self.targets = []  # idx, n, shift, off, nbytes


class _Bad(Exception):
    pass


def _parse_body(fr: _Frame, flags: int, body: bytes, nr_header_targets: int,
                last: tuple[int, int, int, int] | None) -> None:
    end = len(body)
    pos = 0

    def v() -> int:
        nonlocal pos
        val, pos = _dec.read_varint(body, pos, end)
        if pos < 0:
            raise _Bad("frame ends inside a field")
        return val

    if flags & (F_START | F_DUR | F_INTERVALS) and last is None:
        raise _Bad("first frame refers to a previous frame")
    prev = last or (0, 0, 0, 0)
    fr.start = prev[0] if flags & F_START else v()
    dur = prev[1] if flags & F_DUR else _unzigzag(v())
    if dur < 0 or fr.start >= 1 << 63 or fr.start + dur >= 1 << 63:
        raise _Bad("end_time before start_time" if dur < 0 else "time out of range")
    fr.end = fr.start + dur
    if flags & F_INTERVALS:
        fr.sample_us, fr.aggr_us = prev[2], prev[3]
    else:
        fr.sample_us = v()
        fr.aggr_us = v()
    nt = v()
    if nt > nr_header_targets:
        raise _Bad(f"frame names {nt} targets, the header {nr_header_targets}")
    seen = set()
    for _ in range(nt):
        idx = v()
        n = v()
        if pos >= end:
            raise _Bad("frame ends inside a field")
        shift = body[pos]
        pos += 1
        nbytes = v()
        if idx >= nr_header_targets or idx in seen or shift > 63 or pos + nbytes > end \
                or n > nbytes:
            raise _Bad("bad target block")
        seen.add(idx)
        fr.targets.append((idx, n, shift, pos, nbytes))
        pos += nbytes
    fr.ext = None
    if flags & F_EXT:
        ext_len = v()
        fr.ext = body[pos:pos + ext_len]
        pos += ext_len
    if pos != end:
        raise _Bad("frame length does not match its content")
    fr.body = body


#: a frame body decompressing to more than this is damage (a zlib bomb): 31 bytes per
#: region is the coding's worst case, so this allows 8 M regions in one frame
MAX_FRAME_BODY = 256 << 20


def _inflate_frame(data: memoryview) -> bytes:
    d = zlib.decompressobj()
    body = d.decompress(data, MAX_FRAME_BODY)
    if d.unconsumed_tail:
        raise _Bad(f"body decompresses to more than {MAX_FRAME_BODY} bytes")
    if not d.eof:
        raise _Bad("compressed body ends early")
    return body


def header_intervals(header: dict) -> Intervals | None:
    attrs = header.get("attrs")
    if not isinstance(attrs, dict):
        return None
    try:
        sample, aggr = int(attrs["sample_us"]), int(attrs["aggr_us"])
    except (KeyError, TypeError, ValueError):
        return None
    if sample <= 0 or aggr <= 0:
        return None
    return Intervals(sample, aggr, int(attrs.get("update_us") or 0))


class HeaderDamage(UserError):
    """The header is damaged (truncated, checksum, JSON): frames may still be intact."""


def read_header(path: str, data: bytes) -> tuple[dict, int]:
    """Parse the header; returns ``(header, offset of the first frame)``."""
    n = len(MAGIC) + _HEAD.size
    if len(data) < n:
        raise UserError(f"{path}: truncated damon-tui record: the header is incomplete "
                        f"({len(data)} bytes)")
    version, hlen, crc = _HEAD.unpack_from(data, len(MAGIC))
    if version > VERSION or version == 0:
        raise UserError(f"{path}: damon-tui record format version {version} is not "
                        f"supported (this damon-tui reads version {VERSION})")
    blob = data[n:n + hlen]
    if len(blob) < hlen:
        raise HeaderDamage(f"{path}: truncated damon-tui record: the header is incomplete")
    if zlib.crc32(blob) != crc:
        raise HeaderDamage(f"{path}: corrupted damon-tui record: header checksum mismatch")
    try:
        header = json.loads(blob)
    except (ValueError, RecursionError) as e:
        raise HeaderDamage(f"{path}: corrupted damon-tui record header: {e}") from None
    if not isinstance(header, dict) or not isinstance(header.get("targets"), list):
        raise UserError(f"{path}: damon-tui record header: targets: missing or not a list")
    check_header(path, header)
    return header, n + hlen


#: the header's integer attrs, and those that must be positive
_INT_ATTRS = ("sample_us", "aggr_us", "update_us", "min_nr_regions", "max_nr_regions")
_POSITIVE_ATTRS = ("sample_us", "aggr_us")
#: latest ``start_time`` a calendar date can show (9999-12-31)
MAX_START_TIME = 253402300799


def check_header(path: str, header: dict) -> None:
    """Refuse header values a report would choke on or misreport, naming the field."""
    def bad(field: str, msg: str) -> UserError:
        return UserError(f"{path}: damon-tui record header: {field}: {msg}")

    st = header.get("start_time")
    if st is not None:
        if isinstance(st, bool) or not isinstance(st, (int, float)):
            raise bad("start_time", f"expected seconds since the epoch, got {st!r}")
        if not (math.isfinite(st) and 0 <= st <= MAX_START_TIME):
            raise bad("start_time", f"out of range: {st!r}")
    attrs = header.get("attrs")
    if attrs is None:
        return
    if not isinstance(attrs, dict):
        raise bad("attrs", f"expected an object, got {attrs!r}")
    for key in _INT_ATTRS:
        if key not in attrs:
            continue
        v = attrs[key]
        if isinstance(v, bool) or not isinstance(v, int):
            raise bad(f"attrs.{key}", f"expected an integer, got {v!r}")
        if v < 0 or v >= 1 << 63 or (v == 0 and key in _POSITIVE_ATTRS):
            raise bad(f"attrs.{key}", f"out of range: {v}")


def read_ours(path: str, data: bytes) -> Record:
    """Decode a damon-tui record; damage ends reading with a warning (frames before
    the damage are kept)."""
    warnings: list[str] = []
    try:
        header, pos = read_header(path, data)
    except HeaderDamage as e:
        header, pos = _resync(path, data, e)
        warnings.append(f"{e}; resynchronised on the frames after it (target ids, "
                        "descriptions, ops and schemes were in the header and are lost)")
    ntargets = len(header["targets"])
    frames: list[_Frame] = []
    mv = memoryview(data)
    size = len(data)
    damage = None
    last = None
    while pos < size:
        if data[pos] != FRAME_MARK:
            damage = f"bad frame marker at byte {pos}"
            break
        plen, p = _dec.read_varint(data, pos + 1, min(size, pos + 11))
        if p < 0 or p + _CRC.size + plen > size:
            damage = f"truncated frame at byte {pos}"
            break
        (crc,) = _CRC.unpack_from(data, p)
        payload = mv[p + _CRC.size: p + _CRC.size + plen]
        if plen < 1 or zlib.crc32(payload) != crc:
            damage = f"corrupted frame (checksum mismatch) at byte {pos}"
            break
        flags = payload[0]
        fr = _Frame(pos)
        try:
            if flags & ~0x1F:
                raise _Bad("unknown frame flags")
            body = _inflate_frame(payload[1:]) if flags & F_ZLIB else bytes(payload[1:])
            _parse_body(fr, flags, body, ntargets, last)
        except (_Bad, zlib.error) as e:
            damage = f"corrupted frame ({e}) at byte {pos}"
            break
        last = (fr.end, fr.end - fr.start, fr.sample_us, fr.aggr_us)
        frames.append(fr)
        pos = p + _CRC.size + plen

    intervals = header_intervals(header)
    targets = []
    counts = [0] * ntargets
    nsnaps = [0] * ntargets
    for fr in frames:
        for idx, n, _s, _o, _b in fr.targets:
            counts[idx] += n
            nsnaps[idx] += 1
    for i, t in enumerate(header["targets"]):
        t = t if isinstance(t, dict) else {}
        td = TargetData(t.get("target_id", i), str(t.get("description", "")), intervals)
        n = counts[i]
        td.starts = array("Q", bytes(8 * n))
        td.ends = array("Q", bytes(8 * n))
        td.nr_accesses = array("I", bytes(4 * n))
        td.ages = array("I", bytes(4 * n))
        td.offsets = array("q", bytes(8 * (nsnaps[i] + 1)))
        td.snap_start = array("q", bytes(8 * nsnaps[i]))
        td.snap_end = array("q", bytes(8 * nsnaps[i]))
        targets.append(td)

    fill = [0] * ntargets  # snapshots decoded per target
    extensions = []
    good = 0
    for fi, fr in enumerate(frames):
        ok = True
        for idx, n, shift, off, nbytes in fr.targets:
            td = targets[idx]
            k = fill[idx]
            out = td.offsets[k]
            poff = td.offsets[k - 1] if k else 0
            pn = out - poff
            r = _dec.decode_target(fr.body, off, off + nbytes, td.starts, td.ends,
                                   td.nr_accesses, td.ages, out, n, poff, pn, shift)
            if r != off + nbytes:
                ok = False
                break
            td.offsets[k + 1] = out + n
            td.snap_start[k] = fr.start
            td.snap_end[k] = fr.end
            fill[idx] = k + 1
        if not ok:
            damage = f"corrupted frame (undecodable regions) at byte {fr.pos}"
            fill = _fill_before(frames, fi, ntargets)
            break
        if fr.ext is not None:
            extensions.append((fi, fr.ext))
        good = fi + 1
    for i, td in enumerate(targets):
        if fill[i] < td.nr_snapshots:
            td.truncate(fill[i])
    if damage is not None:
        warnings.append(f"{path}: {damage}; recovered {good} snapshot"
                        f"{'s' if good != 1 else ''} before it")
    header = dict(header)
    header["nr_frames"] = good
    changes = _interval_changes(frames[:good])
    if changes and (len(changes) > 1 or intervals is None
                    or (intervals.sample_us, intervals.aggr_us) != tuple(changes[0][1:])):
        header[INTERVAL_CHANGES] = changes
    return Record(path, "damon-tui", header, targets, extensions, warnings)


#: most targets a resynchronised record can have (frames name targets by index)
MAX_RESYNC_TARGETS = 4096


def _frame_at(data: bytes, pos: int) -> tuple[int, _Frame] | None:
    """The frame starting at ``pos`` if its length, checksum and body hold together and
    it is codable on its own (a first frame: absolute times and intervals), as
    ``(end offset, frame)``; else None."""
    size = len(data)
    plen, p = _dec.read_varint(data, pos + 1, min(size, pos + 11))
    if p < 0 or plen < 1 or p + _CRC.size + plen > size:
        return None
    (crc,) = _CRC.unpack_from(data, p)
    payload = memoryview(data)[p + _CRC.size: p + _CRC.size + plen]
    if zlib.crc32(payload) != crc:
        return None
    flags = payload[0]
    if flags & ~0x1F or flags & (F_START | F_DUR | F_INTERVALS):
        return None
    fr = _Frame(pos)
    try:
        body = _inflate_frame(payload[1:]) if flags & F_ZLIB else bytes(payload[1:])
        _parse_body(fr, flags, body, MAX_RESYNC_TARGETS, None)
    except (_Bad, zlib.error):
        return None
    return p + _CRC.size + plen, fr


def _resync(path: str, data: bytes, damage: UserError) -> tuple[dict, int]:
    """Find frame 0 after a damaged header and rebuild a minimal header from it.

    Frames are self-delimiting (marker, length, CRC-32) and the first one is coded on
    its own (absolute start and duration, intervals, regions against an empty
    reference); every later frame is coded against the one before.  So the record is
    recoverable from frame 0 on: the header is JSON (ASCII), which never holds the
    0xF5 marker byte, so the first checksummed, self-contained frame after the fixed
    part of the header is frame 0.  The number of targets is the highest target index
    the frames use, plus one.
    """
    pos = len(MAGIC) + _HEAD.size
    found = None
    while True:
        pos = data.find(bytes([FRAME_MARK]), pos)
        if pos < 0:
            break
        found = _frame_at(data, pos)
        if found is not None:
            break
        pos += 1
    if found is None:
        raise UserError(f"{damage}; no intact frame after it") from None
    first = found[1]
    # the targets the frames use: walk the chain of frames (lengths only)
    nt = 1 + max((t[0] for t in first.targets), default=0)
    p = found[0]
    size = len(data)
    while p < size and data[p] == FRAME_MARK:
        plen, q = _dec.read_varint(data, p + 1, min(size, p + 11))
        if q < 0 or q + _CRC.size + plen > size or plen < 2:
            break
        payload = memoryview(data)[q + _CRC.size: q + _CRC.size + plen]
        if zlib.crc32(payload) != _CRC.unpack_from(data, q)[0]:
            break
        fr = _Frame(p)
        try:
            body = _inflate_frame(payload[1:]) if payload[0] & F_ZLIB else bytes(payload[1:])
            last = (1, 1, 1, 1)  # only the target indexes matter here
            _parse_body(fr, payload[0], body, MAX_RESYNC_TARGETS, last)
        except (_Bad, zlib.error):
            break
        nt = max(nt, 1 + max((t[0] for t in fr.targets), default=0))
        p = q + _CRC.size + plen
    attrs = None
    if first.sample_us > 0 and first.aggr_us > 0:
        attrs = {"sample_us": first.sample_us, "aggr_us": first.aggr_us}
    header = {"format": "damon-tui record", "version": VERSION, "ops": "unknown",
              "clock": "unknown", "resolution": "unknown", "attrs": attrs,
              "targets": [{"target_id": i, "description": "(lost with the header)"}
                          for i in range(nt)],
              "schemes": None, "recovered_from_damaged_header": True}
    return header, found[1].pos


#: decoded-header key: ``[[frame, sample_us, aggr_us], ...]`` where the per-frame
#: intervals change (auto-tuned or set online); absent when every frame has the
#: header's intervals
INTERVAL_CHANGES = "interval_changes"


def _interval_changes(frames: list[_Frame]) -> list[list[int]]:
    out: list[list[int]] = []
    for fi, fr in enumerate(frames):
        if not out or (out[-1][1], out[-1][2]) != (fr.sample_us, fr.aggr_us):
            out.append([fi, fr.sample_us, fr.aggr_us])
    return out


def frame_intervals(record: Record, frame: int) -> Intervals | None:
    """The intervals in force for frame ``frame`` of a record (header ones if constant)."""
    iv = record.intervals
    changes = record.header.get(INTERVAL_CHANGES) if record.format == "damon-tui" else None
    if not changes:
        return iv
    cur = None
    for fi, sample, aggr in changes:
        if fi > frame:
            break
        cur = (sample, aggr)
    if cur is None or not cur[0] or not cur[1]:
        return iv
    return Intervals(cur[0], cur[1], iv.update_us if iv else 0)


def _fill_before(frames: list[_Frame], fi: int, ntargets: int) -> list[int]:
    """Snapshots per target in frames ``[0, fi)``."""
    fill = [0] * ntargets
    for fr in frames[:fi]:
        for idx, *_ in fr.targets:
            fill[idx] += 1
    return fill


def write_record(path: str, record: Record, header: dict | None = None) -> RecordWriter:
    """Write any decoded record in the damon-tui format (for ``convert``)."""
    iv = record.intervals
    if header is None:
        if record.format == "damon-tui":
            header = {k: v for k, v in record.header.items()
                      if k not in ("nr_frames", INTERVAL_CHANGES)}
        else:
            header = make_header(
                ops=str(record.header.get("ops", "unknown")),
                targets=[{"target_id": t.target_id, "description": t.description}
                         for t in record.targets],
                attrs=None if iv is None else {"sample_us": iv.sample_us,
                                               "aggr_us": iv.aggr_us,
                                               "update_us": iv.update_us},
                resolution=str(record.header.get("resolution", "unknown")),
                clock="unknown",
                converted_from=record.format,
            )
    # group the targets' snapshots into frames by equal snapshot times
    targets = [{"target_id": t.target_id, "description": t.description}
               for t in record.targets]
    with RecordWriter(path, {**header, "targets": targets}, streaming=False) as w:
        same = len({t.nr_snapshots for t in record.targets}) <= 1 and all(
            t.snap_start == record.targets[0].snap_start
            and t.snap_end == record.targets[0].snap_end for t in record.targets)
        sample = iv.sample_us if iv else 0
        aggr = iv.aggr_us if iv else 0
        ext_by_frame = dict(record.extensions)

        def block(i: int, t: TargetData, k: int):
            a, b = t.offsets[k], t.offsets[k + 1]
            return (i, t.starts[a:b], t.ends[a:b], t.nr_accesses[a:b], t.ages[a:b])

        if same and record.targets:
            t0 = record.targets[0]
            for k in range(t0.nr_snapshots):
                fiv = frame_intervals(record, k)
                if fiv is not None:
                    sample, aggr = fiv.sample_us, fiv.aggr_us
                w.write_frame(t0.snap_start[k], t0.snap_end[k], sample, aggr,
                              [block(i, t, k) for i, t in enumerate(record.targets)],
                              ext_by_frame.get(k))
        else:
            for i, t in enumerate(record.targets):
                for k in range(t.nr_snapshots):
                    w.write_frame(t.snap_start[k], t.snap_end[k], sample, aggr,
                                  [block(i, t, k)])
    return w
