"""Streaming reports on damon-tui records (bounded memory): byte-identical to the
in-memory reports, across chunk and read-block boundaries, with interval changes,
several targets and damage."""

from __future__ import annotations

import io
from array import array

import pytest

from damon_tui.cli import main
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


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(stream_mod, "FRAMES_PER_CHUNK", 17)
    monkeypatch.setattr(stream_mod, "BLOCK", 333)


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
