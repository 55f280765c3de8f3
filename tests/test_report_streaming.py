"""Streaming reports on damon-tui records (bounded memory): byte-identical to the
in-memory reports, across chunk and read-block boundaries, with interval changes,
several targets and damage."""

from __future__ import annotations

import errno
import io
import subprocess
import sys
import threading
import time
from array import array

import pytest
from damon_tui._fast import reports
from hypothesis import given, settings
from hypothesis import strategies as st

from damon_tui.cli import main
from damon_tui.errors import UserError
from damon_tui.record import RecordWriter, make_header, open_record
from damon_tui.record import stream as stream_mod
from damon_tui.record.stream import RecordStream
from damon_tui.report import streaming
from damon_tui.report.info import report_info
from damon_tui.report.raw import write_raw


def _record(path, n=300, targets=2, tuned=False):
    header = make_header(ops="t", targets=[{"target_id": 10 + i, "description": f"t{i}"}
                                           for i in range(targets)],
                         attrs={"sample_us": 5000, "aggr_us": 100000}, start_time=0.0)
    with RecordWriter(path, header) as w:
        for k in range(n):
            blocks = []
            for t in range(targets):
                m = 5 + (k * 3 + t) % 7
                s = array("Q", [(t + 1) << 32 | (j * 8192 + (k % 3) * 4096) for j in range(m)])
                e = array("Q", [x + 4096 for x in s])
                nr = array("I", [(k + j) % 4 for j in range(m)])
                ag = array("I", [k % 5] * m)
                blocks.append((t, s, e, nr, ag))
            sample = 5000 if not tuned or k < n // 2 else 2500
            w.write_frame(k * 10**8, (k + 1) * 10**8, sample, sample * 20, blocks,
                          b'{"x": 1}' if k % 50 == 0 else None)


@pytest.fixture(params=["frames", "regions"])
def small_chunks(request, monkeypatch):
    """Chunks cut by their frame budget (17 frames) or by their region budget (~8
    frames of these records), read 333 bytes at a time."""
    if request.param == "frames":
        monkeypatch.setattr(stream_mod, "FRAMES_PER_CHUNK", 17)
    else:
        monkeypatch.setattr(stream_mod, "REGIONS_PER_CHUNK", 150)
    monkeypatch.setattr(stream_mod, "BLOCK", 333)


@pytest.mark.parametrize("prefetch", [False, True])
def test_chunks_keep_to_their_region_budget_and_reuse_their_arrays(tmp_path, monkeypatch,
                                                                    prefetch):
    """A chunk ends at the first frame past ``REGIONS_PER_CHUNK``; the walker's arrays
    are cut to each chunk without giving their memory back (same buffer, chunk after
    chunk, once grown; with a decoder thread, two walkers' buffers in turn)."""
    path = tmp_path / "r.rec"
    _record(path, n=3000, targets=1)
    monkeypatch.setattr(stream_mod, "REGIONS_PER_CHUNK", 2000)
    held, buffers, frames = [], set(), 0
    for i, ch in enumerate(RecordStream(path, prefetch=prefetch).chunks()):
        t = ch.targets[0]
        held.append(t.offsets[t.nr_snapshots] - t.offsets[0])
        assert len(t.starts) == t.offsets[t.nr_snapshots]
        if i >= 2:
            buffers.add(t.starts.buffer_info()[0])
        frames += ch.nr_frames
    assert frames == 3000
    assert len(held) > 10 and max(held) < 2000 + 11 and min(held[:-1]) >= 2000
    assert len(buffers) == (2 if prefetch else 1)


def _chunk_dump(st: RecordStream) -> list:
    """Every chunk's content as plain lists (the arrays are reused: copy them)."""
    out = []
    for ch in st.chunks():
        out.append((ch.first_frame, ch.frame_sample.tolist(), ch.frame_aggr.tolist(),
                    list(ch.extensions),
                    [(t.starts.tolist(), t.ends.tolist(), t.nr_accesses.tolist(),
                      t.ages.tolist(), t.offsets.tolist(), t.snap_start.tolist(),
                      t.snap_end.tolist()) for t in ch.targets]))
    return out


@pytest.mark.parametrize("damage", [None, ("cut", 1), ("cut", 40), ("cut", 2000),
                                    ("flip", 3000)])
def test_a_decoder_thread_gives_the_chunks_one_walker_gives(tmp_path, small_chunks, damage):
    """Two walkers taking turns (the second going on from the first's last snapshot)
    decode what one walker restarted chunk after chunk decodes, damage included (a
    flipped byte: a checksum mismatch, worded by the walker that met it)."""
    path = tmp_path / "r.rec"
    _record(path, tuned=True)
    data = bytearray(path.read_bytes())
    if damage and damage[0] == "cut":
        del data[-damage[1]:]
    elif damage:
        data[-damage[1]] ^= 0x55
    path.write_bytes(bytes(data))
    one, two = RecordStream(path, prefetch=False), RecordStream(path, prefetch=True)
    chunks = _chunk_dump(one)
    assert len(chunks) > 5
    assert _chunk_dump(two) == chunks
    assert (two.warnings, two.nr_frames) == (one.warnings, one.nr_frames)
    assert len(one.warnings) == (1 if damage else 0)
    if damage and damage[0] == "flip":
        assert "checksum mismatch" in one.warnings[0]


def _decoders() -> list:
    return [t for t in threading.enumerate() if t.name == "record-decoder"]


def test_a_reader_that_stops_early_ends_the_decoder_thread(tmp_path, small_chunks):
    path = tmp_path / "r.rec"
    _record(path)
    st = RecordStream(path)
    chunks = st.chunks()
    next(chunks)
    assert _decoders()
    chunks.close()
    assert not _decoders()
    for _ in st.chunks():  # re-iterable after that
        break
    assert not _decoders()


def test_an_error_in_the_decoder_thread_reaches_the_reader(tmp_path, small_chunks):
    path = tmp_path / "r.rec"
    _record(path)
    st = RecordStream(path)
    path.unlink()
    with pytest.raises(UserError, match="cannot read"):
        next(st.chunks())
    assert not _decoders()


@pytest.mark.parametrize("tuned", [False, True])
def test_stream_matches_the_in_memory_record(tmp_path, small_chunks, tuned):
    path = tmp_path / "r.rec"
    _record(path, tuned=tuned)
    rec = open_record(path)
    st = RecordStream(path)
    assert report_info(streaming.summary_record(st)) == report_info(rec)
    out = io.BytesIO()
    streaming.write_raw(st, out)
    text = io.StringIO()
    write_raw(rec, text)
    assert out.getvalue().decode() == text.getvalue()
    values, most = streaming.wss_values(st, 1, 1, 20)
    assert most == 300
    from damon_tui.report.wss import target_wss
    assert [v for _, v in values] == [target_wss(t, 1, 1, 20) for t in rec.targets]


@pytest.mark.parametrize("kind", [["info"], ["raw"], ["raw", "--tid", "11"],
                                  ["wss", "--exclude-samples", "3"],
                                  ["wss", "--per-target", "--sortby", "time"]])
def test_cli_streaming_output_is_the_in_memory_output(tmp_path, capsys, monkeypatch,
                                                      small_chunks, kind):
    path = tmp_path / "r.rec"
    _record(path, tuned=True)
    assert main(["report", kind[0], *kind[1:], str(path)]) == 0
    streamed = capsys.readouterr()
    monkeypatch.setattr(stream_mod, "is_ours", lambda p: False)
    assert main(["report", kind[0], *kind[1:], str(path)]) == 0
    whole = capsys.readouterr()
    assert streamed.out == whole.out and streamed.err == whole.err


@pytest.mark.parametrize("cut", [1, 7, 40])
def test_streaming_recovers_what_open_record_recovers(tmp_path, small_chunks, capsys, cut):
    path = tmp_path / "r.rec"
    _record(path)
    data = path.read_bytes()
    path.write_bytes(data[:-cut])
    rec = open_record(path)
    st = RecordStream(path)
    assert report_info(streaming.summary_record(st)) == report_info(rec)
    assert st.warnings == rec.warnings and len(rec.warnings) == 1
    assert main(["report", "raw", str(path)]) == 2
    out, err = capsys.readouterr()
    assert "truncated frame" in err and out.count("\n") == 1 + rec.nr_regions


def _steady_record(path, n=200, zero_first=False, grow_at=None):
    """Three mappings whose outer edges never move (the guide's ranges are known after
    the first chunk) unless ``grow_at`` (the last mapping doubles from that snapshot
    on); the inner boundaries, the hot band and the ages do move."""
    header = make_header(ops="t", targets=[{"target_id": 0, "description": "steady"}],
                         attrs={"sample_us": 5000, "aggr_us": 100000}, start_time=0.0)
    bases = [(1 << 32, 64), (3 << 32, 256), (7 << 32, 16)]
    ages = {}
    with RecordWriter(path, header) as w:
        for k in range(n):
            starts, ends, nrs, ags = array("Q"), array("Q"), array("I"), array("I")
            for m, (base, pages) in enumerate(bases):
                if grow_at is not None and k >= grow_at and m == 2:
                    pages *= 2
                cut = 1 + (k * 7 + m) % (pages - 2)
                for j, (a, b) in enumerate(((0, cut), (cut, pages))):
                    nr = 0 if zero_first and k < 3 else (k + j + m) % 5
                    ages[(m, j)] = 0 if nr else ages.get((m, j), 0) + 1
                    starts.append(base + a * 4096)
                    ends.append(base + b * 4096)
                    nrs.append(nr)
                    ags.append(ages[(m, j)])
            w.write_frame(k * 10**8, (k + 1) * 10**8, 5000, 100000,
                          [(0, starts, ends, nrs, ags)])


def _converted_damo(tmp_path, shared_dir):
    from damon_tui.record import write_record

    rec = open_record(shared_dir / "damo-records" / "damon.data.json_compressed")
    path = tmp_path / "damo.rec"
    write_record(path, rec)
    return path


REPORTS = [
    ["heatmap", "--color", "never"],
    ["heatmap", "--color", "always", "--colorset", "flame"],
    ["heatmap", "--guide"],
    ["heatmap", "--output", "raw", "--resol", "7", "9"],
    ["heatmap", "--color", "never", "--draw-range", "all", "--resol", "11", "13"],
    ["heatmap", "--color", "never", "--time-range", "2s", "9s", "guided"],
    ["heatmap", "--color", "never", "--address-range", "0", "64K", "guided"],
    ["heatmap", "--color", "never", "--tid", "11"],
    ["heatmap", "--tid", "99"],
    ["recency"],
    ["recency", "--snapshot", "all", "--raw-number"],
    ["recency", "--snapshot", "0"],
    ["recency", "--snapshot", "37", "--logscale"],
    ["recency", "--snapshot", "-5", "--cumulate"],
    ["recency", "--snapshot", "100000"],
    ["temperature"],
    ["temperature", "--snapshot", "all", "--tid", "11"],
    ["temperature", "--snapshot", "-1", "--logscale", "--cumulate"],
    ["temperature", "--snapshot", "18"],
]


@pytest.mark.parametrize("which", ["varying", "tuned", "steady", "steady-cold", "steady-grows",
                                   "damo"])
@pytest.mark.parametrize("kind", REPORTS, ids=lambda k: " ".join(k))
def test_streamed_heatmap_and_histograms_are_the_in_memory_ones(
        tmp_path, capsys, monkeypatch, small_chunks, kind, which, request):
    path = tmp_path / "r.rec"
    if which in ("varying", "tuned"):
        _record(path, tuned=which == "tuned")
    elif which.startswith("steady"):
        _steady_record(path, zero_first=which == "steady-cold",
                       grow_at=50 if which == "steady-grows" else None)
    else:
        path = _converted_damo(tmp_path, request.getfixturevalue("shared_dir"))
    rc = main(["report", kind[0], str(path), *kind[1:]])
    streamed = capsys.readouterr()
    monkeypatch.setattr(stream_mod, "is_ours", lambda p: False)
    assert main(["report", kind[0], str(path), *kind[1:]]) == rc
    whole = capsys.readouterr()
    assert streamed.out == whole.out and streamed.err == whole.err
    if rc == 0 and (kind[0] != "heatmap" or kind[1:2] == ["--color"]):
        assert streamed.out.strip()


def test_streamed_heatmap_svg_is_the_in_memory_one(tmp_path, monkeypatch, small_chunks):
    path = tmp_path / "r.rec"
    _record(path, tuned=True)
    assert main(["report", "heatmap", "--output", str(tmp_path / "s.svg"), str(path)]) == 0
    monkeypatch.setattr(stream_mod, "is_ours", lambda p: False)
    assert main(["report", "heatmap", "--output", str(tmp_path / "m.svg"), str(path)]) == 0
    assert (tmp_path / "s.svg").read_bytes() == (tmp_path / "m.svg").read_bytes()


def test_guide_heats_are_summed_again_when_the_ranges_move(tmp_path, small_chunks):
    """The first pass sums heats over the ranges known after the first chunk; a record
    whose gaps change later needs (and gets) a second pass."""
    from damon_tui.report import heatmap as hm

    real = streaming._sum_heats
    calls: list[int] = []

    def counted(st, scans):
        calls.append(1)
        real(st, scans)

    for grow_at, moved in ((50, True), (None, False)):
        path = tmp_path / f"{grow_at}.rec"
        _steady_record(path, grow_at=grow_at)
        # 200 frames, 17 a chunk (12) or 25 by the region budget (8): the ranges grow
        # after the first chunk
        assert len(list(RecordStream(path).chunks())) in (8, 12)
        calls.clear()
        streaming._sum_heats = counted
        try:
            got = streaming.heatmap_guides(RecordStream(path)).guides
        finally:
            streaming._sum_heats = real
        assert got == hm.guides(open_record(path))
        assert bool(calls) == moved


@pytest.mark.parametrize("cut", [1, 7, 40])
@pytest.mark.parametrize("kind", [["heatmap", "--color", "never"], ["recency"],
                                  ["temperature", "--snapshot", "all"]])
def test_streamed_reports_on_damaged_records(tmp_path, capsys, monkeypatch, small_chunks,
                                             cut, kind):
    path = tmp_path / "r.rec"
    _record(path)
    path.write_bytes(path.read_bytes()[:-cut])
    assert main(["report", *kind, str(path)]) == 2
    streamed = capsys.readouterr()
    monkeypatch.setattr(stream_mod, "is_ours", lambda p: False)
    assert main(["report", *kind, str(path)]) == 2
    whole = capsys.readouterr()
    assert streamed.out == whole.out and streamed.err == whole.err
    assert "truncated frame" in streamed.err


def _zlib_frame(payload: bytes) -> bytes:
    import zlib

    from damon_tui.record import ours

    frame = bytearray([ours.FRAME_MARK])
    ours._varint(len(payload) + 1, frame)
    body = bytes([ours.F_ZLIB]) + payload
    return bytes(frame) + ours._CRC.pack(zlib.crc32(body)) + body


@pytest.mark.parametrize("payload", [
    b"\x00\x01\x02\x03",  # not zlib
    bytes([0x78, 0x9C, 0x63, 0x00, 0xFF, 0xFF, 0xFF]),  # bad distance
    __import__("zlib").compress(b"\x01" * 100)[:-6],  # ends early
    __import__("zlib").compress(b"") + b"xx",  # inflates to nothing: no fields
])
def test_streamed_inflate_damage_reads_as_the_in_memory_one(tmp_path, payload):
    """The walker inflates with zlib's C library: its damage messages are worded as
    Python's zlib module words them for the in-memory reader."""
    path = tmp_path / "r.rec"
    _record(path, n=5)
    path.write_bytes(path.read_bytes() + _zlib_frame(payload))
    rec = open_record(path)
    st = RecordStream(path)
    assert report_info(streaming.summary_record(st)) == report_info(rec)
    assert st.warnings == rec.warnings and len(rec.warnings) == 1


class _SlowSink(io.BytesIO):
    """Copies each write late, as a slow disk would: a text buffer formatted again
    before its write finished would show in the output."""

    def write(self, data):
        time.sleep(0.001)
        return super().write(data)


def test_raw_written_ahead_is_the_text_formatted(tmp_path, monkeypatch, small_chunks):
    monkeypatch.setattr(streaming, "RAW_BATCH", 2)
    path = tmp_path / "r.rec"
    _record(path, n=120, tuned=True)
    out = _SlowSink()
    streaming.write_raw(RecordStream(path), out)
    text = io.StringIO()
    write_raw(open_record(path), text)
    assert out.getvalue().decode() == text.getvalue()


def test_a_raw_write_error_reaches_the_caller(tmp_path, monkeypatch):
    class Full(io.BytesIO):
        def write(self, data):
            if self.tell() > 2000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(data)

    monkeypatch.setattr(streaming, "RAW_BATCH", 4)
    path = tmp_path / "r.rec"
    _record(path)
    with pytest.raises(OSError, match="No space left"):
        streaming.write_raw(RecordStream(path), Full())


def test_report_raw_into_a_closed_pipe_is_not_a_traceback(tmp_path):
    path = tmp_path / "r.rec"
    _record(path, n=3000)
    cmd = f"{sys.executable} -m damon_tui report raw {path} | head -1"
    proc = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def _python_lines(tid: bytes, k0: int, snaps: list) -> bytes:
    return b"".join(
        b"%s %d %d %d %d %d %d %d\n" % (tid, k0 + k, t0, t1, s, e, nr, age)
        for k, (t0, t1, regions) in enumerate(snaps) for s, e, nr, age in regions)


_EDGES = [0, 1, 9, 10, 99, 100] + [x for d in range(3, 20) for x in (10**d - 1, 10**d)] \
    + [2**32 - 1, 2**63 - 1, 2**64 - 1]
_u64s = st.one_of(st.sampled_from(_EDGES), st.integers(0, 2**64 - 1))
_u32s = st.one_of(st.sampled_from([x for x in _EDGES if x < 2**32]), st.integers(0, 2**32 - 1))
_i64s = st.one_of(st.sampled_from([x for x in _EDGES if x < 2**63] + [-1, -10, -(2**63)]),
                  st.integers(-(2**63), 2**63 - 1))


@st.composite
def _snapshots(draw):
    snaps = []
    for _ in range(draw(st.integers(1, 4))):
        regions = []
        for _ in range(draw(st.integers(0, 6))):
            # often contiguous (the start is the previous end), as DAMON's regions are
            start = regions[-1][1] if regions and draw(st.booleans()) else draw(_u64s)
            regions.append((start, draw(_u64s), draw(_u32s), draw(_u32s)))
        snaps.append((draw(_i64s), draw(_i64s), regions))
    return snaps


@given(tid=st.sampled_from([b"0", b"12345", b"x" * 64]), k0=st.integers(0, 2**40),
       snaps=_snapshots())
@settings(max_examples=400, deadline=None)
def test_raw_lines_in_c_are_pythons_decimal_text(tid, k0, snaps):
    """The C formatter (8 digits per step, a contiguous start copied from the previous
    end's text, one-digit counts written directly) prints what Python prints."""
    regions = [r for _, _, rs in snaps for r in rs]
    offsets = array("q", [0])
    for _, _, rs in snaps:
        offsets.append(offsets[-1] + len(rs))
    out = reports.format_lines(
        tid, k0, 0, len(snaps), array("q", [s[0] for s in snaps]),
        array("q", [s[1] for s in snaps]), offsets, array("Q", [r[0] for r in regions]),
        array("Q", [r[1] for r in regions]), array("I", [r[2] for r in regions]),
        array("I", [r[3] for r in regions]))
    assert out == _python_lines(tid, k0, snaps)
