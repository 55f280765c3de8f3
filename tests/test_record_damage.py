"""Damaged and hostile record files: a one-line error naming the file, exit 2, no
traceback; intact frames before the damage are recovered and reported on."""

from __future__ import annotations

import zlib
from array import array

import pytest

from damon_tui.cli import main
from damon_tui.errors import UserError
from damon_tui.record import RecordWriter, make_header, open_record


def _record(path, n=10):
    header = make_header(ops="test", targets=[{"target_id": 0, "description": "t"}],
                         attrs={"sample_us": 5000, "aggr_us": 100000})
    ends = []
    with RecordWriter(path, header, compress=False) as w:
        for i in range(n):
            regs = [(4096 * j, 4096 * (j + 1), (i + j) % 21, i) for j in range(20)]
            w.write_frame(i * 10**8, (i + 1) * 10**8, 5000, 100000,
                          [(0, array("Q", [r[0] for r in regs]), array("Q", [r[1] for r in regs]),
                            array("I", [r[2] for r in regs]), array("I", [r[3] for r in regs]))])
            ends.append(w.bytes_written)
    return ends  # file size after each frame


def test_truncation_anywhere_in_the_last_frame_keeps_the_others(tmp_path):
    path = tmp_path / "r.rec"
    ends = _record(path)
    data = path.read_bytes()
    for cut in range(ends[-2] + 1, ends[-1]):
        path.write_bytes(data[:cut])
        rec = open_record(path)
        assert rec.nr_snapshots == 9
        assert len(rec.warnings) == 1
        assert "truncated frame" in rec.warnings[0]
        assert "recovered 9 snapshots" in rec.warnings[0]


def test_corrupted_middle_frame_recovers_frames_before_it(tmp_path):
    path = tmp_path / "r.rec"
    ends = _record(path)
    data = bytearray(path.read_bytes())
    data[ends[4] + 12] ^= 0xFF  # inside frame 5
    path.write_bytes(bytes(data))
    rec = open_record(path)
    assert rec.nr_snapshots == 5
    assert "checksum mismatch" in rec.warnings[0]
    assert rec.targets[0].regions(4)[0] == (0, 4096, 4, 4)


@pytest.mark.parametrize("content,message", [
    (b"", "empty file"),
    (b"\x00\x01garbage\xff" * 10, "unrecognised content"),
    (b"hello world\n", "unrecognised content"),
    (b"\x89DAMON", "truncated damon-tui record"),
])
def test_unreadable_files_give_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message) as e:
        open_record(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_corrupted_header_recovers_the_frames_with_a_warning(tmp_path):
    path = tmp_path / "r.rec"
    _record(path, 2)
    data = bytearray(path.read_bytes())
    data[30] ^= 0x55
    path.write_bytes(bytes(data))
    rec = open_record(path)
    assert rec.nr_snapshots == 2
    assert "header checksum mismatch" in rec.warnings[0]


def test_newer_format_version_is_named(tmp_path):
    path = tmp_path / "r.rec"
    _record(path, 1)
    data = bytearray(path.read_bytes())
    data[14] = 99
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="version 99 is not supported"):
        open_record(path)


def test_wrong_frame_marker_is_damage(tmp_path):
    path = tmp_path / "r.rec"
    ends = _record(path, 3)
    data = bytearray(path.read_bytes())
    data[ends[1]] = 0x00
    path.write_bytes(bytes(data))
    rec = open_record(path)
    assert rec.nr_snapshots == 2 and "bad frame marker" in rec.warnings[0]


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        open_record(tmp_path / "nope")
    with pytest.raises(UserError, match="is a directory"):
        open_record(tmp_path)


@pytest.mark.parametrize("kind", ["wss", "heatmap", "raw", "info"])
def test_reports_run_on_recovered_frames_and_exit_2(tmp_path, capsys, kind):
    path = tmp_path / "r.rec"
    ends = _record(path, 30)
    path.write_bytes(path.read_bytes()[: ends[-1] - 3])
    assert main(["report", kind, str(path)]) == 2
    out, err = capsys.readouterr()
    notes = [line for line in err.splitlines() if line.startswith("# access-check resolution:")]
    errors = [line for line in err.splitlines() if line not in notes]
    assert len(errors) == 1
    assert len(notes) == (0 if kind == "info" else 1)
    assert errors[0].startswith(f"damon-tui report: error: {path}: truncated frame")
    assert "recovered 29 snapshots" in err
    assert out.strip()  # the report itself still ran
    if kind == "info":
        assert "snapshots: 29" in out


@pytest.mark.parametrize("content", [b"", b"garbage", b"\x78\x9c\x00\x00garbage",
                                     b'[{"snapshots": []}]', b"[1, 2"])
def test_cli_errors_are_one_line_exit_2(tmp_path, capsys, content):
    path = tmp_path / "bad"
    path.write_bytes(content)
    assert main(["report", "wss", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err


def test_damo_truncated_compressed_stream_is_named(tmp_path):
    path = tmp_path / "d"
    path.write_bytes(zlib.compress(b'[{"target_id": 0, "snapshots": []}]' * 50)[:40])
    with pytest.raises(UserError, match="truncated damo json_compressed"):
        open_record(path)
