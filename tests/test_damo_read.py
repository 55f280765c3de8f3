"""Reading damo's records: the real files in ../shared/damo-records and hand-made json."""

from __future__ import annotations

import json
import zlib

import pytest
from damon_tui._fast import damo_scan
from hypothesis import given, settings
from hypothesis import strategies as st

from damon_tui.cli import main
from damon_tui.errors import UserError
from damon_tui.record import damo, open_record
from damon_tui.report.wss import report as wss_report


def test_json_compressed_record_reads_with_damos_wss_numbers(shared_dir):
    rec = open_record(shared_dir / "damo-records" / "damon.data.json_compressed")
    assert rec.format == "damo-json-compressed"
    assert rec.nr_snapshots == 543 and len(rec.targets) == 1
    assert rec.intervals is None
    out = wss_report(rec)
    # the figures damo 3.4.3 prints on this file (damo-compat.md)
    assert "# avr:\t108.201 MiB" in out
    for p, v in ((0, "95.160"), (25, "95.391"), (50, "95.391"), (75, "95.395"),
                 (100, "196.871")):
        assert f"{p:3d} {v + ' MiB':>15} |" in out


def test_damon_data_has_the_same_content(shared_dir):
    a = open_record(shared_dir / "damo-records" / "damon.data")
    b = open_record(shared_dir / "damo-records" / "damon.data.json_compressed")
    ta, tb = a.targets[0], b.targets[0]
    assert (ta.starts, ta.ends, ta.nr_accesses, ta.snap_end) == \
        (tb.starts, tb.ends, tb.nr_accesses, tb.snap_end)


def test_snapshot_record_with_intervals_and_null_target(shared_dir):
    rec = open_record(shared_dir / "damo-records" / "damon.data.snapshot.active")
    t = rec.targets[0]
    assert t.target_id is None and t.nr_snapshots == 1
    assert rec.intervals.sample_us == 150000 and rec.intervals.aggr_us == 3000000
    assert t.regions(0)[0] == (4294967296, 4456865792, 0, 5)
    assert t.snap_start[0] == 1748191609649802240


def test_perf_script_groups_lines_by_nr_regions(shared_dir):
    rec = open_record(shared_dir / "damo-records" / "perf.data.script")
    assert rec.format == "perf-script"
    t = rec.targets[0]
    assert t.target_id == 18446623435582458880
    assert t.nr_regions == 10260
    assert t.regions(0)[0] == (94253027950592, 94253031862272, 0, 0)
    assert t.snap_end[0] == int(82820.952659 * 1e9)
    # the first start is estimated from the mean snapshot length
    mean = (t.snap_end[-1] - t.snap_end[0]) / (t.nr_snapshots - 1)
    assert abs(t.snap_start[0] - (t.snap_end[0] - mean)) <= 1
    assert all(t.snap_start[i] == t.snap_end[i - 1] for i in range(1, t.nr_snapshots))
    assert "# avr:\t107.720 MiB" in wss_report(rec)


def _doc(region: dict, intervals=None, **snap) -> list:
    return [{"target_id": 5, "intervals": intervals,
             "snapshots": [{"start_time": snap.get("start_time", "1,000"),
                            "end_time": snap.get("end_time", 2000), "regions": [region]}]}]


@pytest.mark.parametrize("region,expect", [
    ({"start": "4,096", "end": "8,192", "nr_accesses": {"samples": "3", "percent": None},
      "age": {"usec": None, "aggr_intervals": "2"}, "sz_filter_passed": "0 B"},
     (4096, 8192, 3, 2)),
    ({"start": 4096, "end": 8192, "nr_accesses": {"samples": 3},
      "age": {"usec": None, "aggr_intervals": None}}, (4096, 8192, 3, 0)),
    ({"start": "4 KiB", "end": "8K", "nr_accesses": {"samples": 1, "percent": None},
      "age": {"usec": None, "aggr_intervals": 7}}, (4096, 8192, 1, 7)),
])
def test_damo_json_number_styles(tmp_path, region, expect):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(_doc(region)))
    rec = open_record(path)
    assert rec.format == "damo-json"
    assert rec.targets[0].regions(0) == [expect]
    assert rec.targets[0].snap_start[0] == 1000


def test_percent_and_usec_need_intervals(tmp_path):
    region = {"start": 0, "end": 4096, "nr_accesses": {"samples": None, "percent": "50 %"},
              "age": {"usec": "1 s", "aggr_intervals": None}}
    iv = {"sample_us": "5 ms", "aggr_us": "100 ms", "ops_update_us": "1 s"}
    path = tmp_path / "d"
    path.write_bytes(zlib.compress(json.dumps(_doc(region, iv)).encode()))
    assert open_record(path).targets[0].regions(0) == [(0, 4096, 10, 10)]
    path.write_bytes(zlib.compress(json.dumps(_doc(region)).encode()))
    with pytest.raises(UserError, match="nr_accesses.samples: missing"):
        open_record(path)


@pytest.mark.parametrize("mutate,field", [
    (lambda d: d[0].pop("target_id"), "record 0: target_id: missing"),
    (lambda d: d[0].pop("snapshots"), "record 0: snapshots: missing"),
    (lambda d: d[0]["snapshots"][0].pop("end_time"), "snapshot 0: end_time: missing"),
    (lambda d: d[0]["snapshots"][0]["regions"][0].pop("start"), "region 0: start: missing"),
    (lambda d: d[0]["snapshots"][0]["regions"][0].pop("age"), "region 0: age: missing"),
    (lambda d: d[0]["snapshots"][0]["regions"][0].update(end="x"), "region 0: end: expected"),
    (lambda d: d[0]["snapshots"][0]["regions"][0].update(end=1), "end 1 is below start"),
])
def test_damo_file_with_a_missing_or_bad_field(tmp_path, capsys, mutate, field):
    doc = _doc({"start": 4096, "end": 8192, "nr_accesses": {"samples": 1},
                "age": {"usec": None, "aggr_intervals": 0}})
    mutate(doc)
    path = tmp_path / "d"
    path.write_bytes(zlib.compress(json.dumps(doc).encode()))
    with pytest.raises(UserError, match=field):
        open_record(path)
    assert main(["report", "heatmap", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err


def test_format_is_detected_by_content_not_name(tmp_path, shared_dir):
    data = (shared_dir / "damo-records" / "damon.data.json_compressed").read_bytes()
    path = tmp_path / "looks_like.json"
    path.write_bytes(data)
    assert open_record(path).format == "damo-json-compressed"
    text = (shared_dir / "damo-records" / "perf.data.script").read_bytes()
    path = tmp_path / "record.damon"
    path.write_bytes(text)
    assert open_record(path).format == "perf-script"


def _fields(rec):
    return [(t.target_id, t.intervals, t.snap_start, t.snap_end, t.offsets, t.starts, t.ends,
             t.nr_accesses, t.ages) for t in rec.targets]


@pytest.mark.parametrize("name", ["damon.data.json_compressed", "damon.data.snapshot.active"])
def test_fast_scanner_equals_the_generic_json_path(shared_dir, name):
    data = zlib.decompress((shared_dir / "damo-records" / name).read_bytes())
    scanned = damo_scan.scan_damo_json(data)
    assert scanned is not None
    assert _fields(damo._from_scan("x", scanned, "f")) == \
        _fields(damo.parse_damo_json("x", json.loads(data), "f"))


_num = st.integers(0, 2**64 - 1)


@settings(max_examples=150, deadline=None)
@given(regions=st.lists(st.tuples(_num, _num, st.integers(0, 30), st.integers(0, 500),
                                  st.sampled_from(["int", "str", "comma"]),
                                  st.booleans()), max_size=8),
       with_iv=st.booleans(), tid=st.one_of(st.none(), st.integers(0, 2**64 - 1)),
       layout=st.sampled_from([4, None, "tight"]), reorder=st.booleans(),
       tail=st.sampled_from(["damo", "none", "other"]))
def test_fast_scanner_and_generic_path_agree_on_number_styles(regions, with_iv, tid, layout,
                                                              reorder, tail):
    """Number styles, layouts (damo's indent 4, json.dumps' default as we write it, no
    spaces), members in damo's order (the scanner's fast path) or not, damo 3.4.3's two
    trailing members, none, or others."""
    def num(v, style):
        return v if style == "int" else (str(v) if style == "str" else f"{v:,}")

    def region(a, b, n, g, sty, null_age):
        members = [("start", num(min(a, b), sty)), ("end", num(max(a, b), sty)),
                   ("nr_accesses", {"samples": num(n, sty), "percent": None}),
                   ("age", {"usec": None, "aggr_intervals": None if null_age else num(g, sty)})]
        if reorder:
            members.reverse()
        if tail == "damo":
            members += [("probe_hits", []), ("sz_filter_passed", "0 B" if n % 2 else n)]
        elif tail == "other":
            members += [("note", {"x": [1, "2"]})]
        return dict(members)

    regs = [region(*r) for r in regions]
    doc = [{"kdamond_idx": 0, "target_id": tid,
            "intervals": {"sample_us": "5000", "aggr_us": 100000, "ops_update_us": "1,000",
                          "intervals_goal": {"aggrs": 0}} if with_iv else None,
            "snapshots": [{"start_time": "1,000", "end_time": 2000, "regions": regs,
                           "total_bytes": "1 MiB"}], "data_source": "unknown"}]
    data = (json.dumps(doc, separators=(",", ":")) if layout == "tight"
            else json.dumps(doc, indent=layout)).encode()
    scanned = damo_scan.scan_damo_json(data)
    assert scanned is not None
    try:
        generic = _fields(damo.parse_damo_json("x", json.loads(data), "f"))
    except UserError:
        pytest.fail("generic path rejected a valid document")
    assert _fields(damo._from_scan("x", scanned, "f")) == generic


def _fed(data: bytes, size: int):
    """``data`` fed to the incremental scanner ``size`` bytes at a time."""
    scan = damo_scan.DamoScan()
    for i in range(0, len(data), size):
        if scan.feed(data[i:i + size]) is None:
            return None
    return scan.feed(b"", True)


@pytest.mark.parametrize("name", ["damon.data.json_compressed", "damon.data.snapshot.active"])
@pytest.mark.parametrize("size", [1, 7, 333, 65536])
def test_incremental_scanner_equals_the_whole_document_scan(shared_dir, name, size):
    data = zlib.decompress((shared_dir / "damo-records" / name).read_bytes())
    if size == 1:
        data = data[:20000] + data[-3000:]  # one byte at a time: a shorter document
    whole = damo_scan.scan_damo_json(data)
    got = _fed(data, size)
    assert (got is None) == (whole is None)
    if whole is not None:
        assert _fields(damo._from_scan("x", got, "f")) == \
            _fields(damo._from_scan("x", whole, "f"))


DOC = (b'[{"target_id": 1234, "intervals": {"sample_us": 5000, "aggr_us": 100000, '
       b'"ops_update_us": 1000000}, "snapshots": [{"start_time": 100, "end_time": 200, '
       b'"regions": [{"start": "4,096", "end": 12288, "nr_accesses": {"samples": 17, '
       b'"percent": null}, "age": {"usec": null, "aggr_intervals": 3}}]}]}, '
       b'{"target_id": null, "snapshots": []}]  \n')


@pytest.mark.parametrize("doc", [
    DOC,
    DOC.replace(b"  \n", b"  x"),  # garbage after the list
    DOC[:-30],  # truncated
    DOC.replace(b'"percent": null', b'"percent": 5'),  # percent only: the generic path
    DOC.replace(b"17", b"1.5"),  # a float
    b"[]", b" [ ] ", b"[{}]", b"{}", b"",
])
def test_every_cut_of_a_document_scans_as_the_whole(doc):
    whole = damo_scan.scan_damo_json(doc)
    for cut in range(len(doc) + 1):
        scan = damo_scan.DamoScan()
        first = scan.feed(doc[:cut])
        got = None if first is None else scan.feed(doc[cut:], True)
        assert got == whole, cut
    if doc == DOC:
        assert whole is not None and whole[0][0] == 1234 and list(whole[0][5]) == [4096]


def test_json_compressed_is_scanned_in_pieces(shared_dir, tmp_path, monkeypatch):
    """The text is never held whole: the scanner gets it piece by piece (and gives the
    same record as one piece)."""
    src = shared_dir / "damo-records" / "damon.data.json_compressed"
    whole = _fields(open_record(src))
    fed = []
    real = damo_scan.DamoScan

    class Counting(real):
        def feed(self, piece, final=False):
            fed.append(len(piece))
            return super().feed(piece, final)

    monkeypatch.setattr(damo, "INFLATE_PIECE", 4096)
    monkeypatch.setattr(damo._scan, "DamoScan", Counting)
    assert _fields(open_record(src)) == whole
    assert len(fed) > 100 and max(fed) <= 4096


@pytest.fixture(params=["installed", "zlib"])
def inflater(request, monkeypatch):
    """The inflater damo.py picked (ISA-L's when ``isal`` is installed), and zlib's."""
    if request.param == "zlib":
        monkeypatch.setattr(damo, "_ZLIB", zlib)
        monkeypatch.setattr(damo, "INFLATE_ERRORS", (zlib.error,))
    return request.param


@pytest.mark.parametrize("piece,slice_", [(4096, 512), (1 << 20, 64), (4 << 20, 256 << 10)])
def test_inflated_pieces_are_the_whole_text_with_either_inflater(shared_dir, monkeypatch,
                                                                  inflater, piece, slice_):
    data = (shared_dir / "damo-records" / "damon.data.json_compressed").read_bytes()
    monkeypatch.setattr(damo, "INFLATE_PIECE", piece)
    monkeypatch.setattr(damo, "INFLATE_INPUT", slice_)
    parts = list(damo._pieces("x", data))
    assert b"".join(parts) == zlib.decompress(data)
    assert max(map(len, parts)) <= piece and all(parts)


@pytest.mark.parametrize("damage,message", [
    (lambda d: d[:len(d) // 2], "truncated damo json_compressed record"),
    (lambda d: d[:-4] + bytes(4), "corrupted damo json_compressed record"),  # checksum
    (lambda d: d[:2] + bytes(64) + d[66:], "corrupted damo json_compressed record"),
])
def test_damaged_stream_is_one_line_with_either_inflater(shared_dir, tmp_path, inflater,
                                                         damage, message):
    data = (shared_dir / "damo-records" / "damon.data.json_compressed").read_bytes()
    path = tmp_path / "damon.data"
    path.write_bytes(damage(data))
    with pytest.raises(UserError, match=message) as e:
        open_record(path)
    assert "\n" not in str(e.value)
