"""Hostile record files (issue 10 §2, readers): non-regular files, zlib bombs, NaN and
huge numbers, inverted regions and times, bad header values, and a damaged header
with intact frames (resynchronised).  Every refusal is one line naming file and field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from array import array

import pytest

from damon_tui.cli import main
from damon_tui.errors import UserError
from damon_tui.record import RecordWriter, make_header, open_record
from damon_tui.record import ours as ours_mod


def _damo_doc(start='"4096"', end='"8192"', st="0", en="100", extra_snapshots=0):
    region = (f'{{"start": {start}, "end": {end}, "nr_accesses": {{"samples": 1, '
              f'"percent": null}}, "age": {{"usec": null, "aggr_intervals": 0}}}}')
    snaps = [f'{{"start_time": {st}, "end_time": {en}, "regions": [{region}]}}']
    snaps += [f'{{"start_time": {100 * i}, "end_time": {100 * i + 100}, '
              f'"regions": [{region}]}}' for i in range(1, 1 + extra_snapshots)]
    return (f'[{{"target_id": 0, "intervals": {{"sample_us": 5000, "aggr_us": 100000, '
            f'"ops_update_us": 1000000}}, "snapshots": [{", ".join(snaps)}]}}]')


def _one_line_error(path, capsys, *names):
    assert main(["report", "info", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err
    for name in names:
        assert name in err
    return err


# -- non-regular files -------------------------------------------------------------


def _report_info_bounded(path) -> subprocess.CompletedProcess:
    """``report info PATH`` in a child with 1 GiB of address space and a time limit
    (reading /dev/zero or opening a writer-less FIFO would never end)."""
    limit = ("import resource, runpy, sys; "
             "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
             "sys.argv = ['damon-tui', 'report', 'info', sys.argv[1]]; "
             "runpy.run_module('damon_tui', run_name='__main__')")
    return subprocess.run([sys.executable, "-c", limit, str(path)], capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_character_device_is_refused_without_reading(device):
    r = _report_info_bounded(device)
    assert r.returncode == 2
    assert f"{device}: not a regular file (a character device)" in r.stderr
    assert r.stderr.count("\n") == 1


def test_fifo_without_writer_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    r = _report_info_bounded(fifo)
    assert r.returncode == 2
    assert "not a regular file (a FIFO)" in r.stderr and r.stderr.count("\n") == 1


# -- zlib bombs --------------------------------------------------------------------


def test_damo_zlib_bomb_is_refused_with_the_limit_named(tmp_path, monkeypatch, capsys):
    path = tmp_path / "bomb"
    path.write_bytes(zlib.compress(b"[" + b" " * (8 << 20) + b"]", 9))
    monkeypatch.setenv("DAMON_TUI_MAX_DECOMPRESSED", str(1 << 20))
    err = _one_line_error(path, capsys, "decompresses to more than 1,048,576 bytes",
                          "DAMON_TUI_MAX_DECOMPRESSED")
    assert "zlib bomb" in err


def test_damo_limit_scales_with_the_file_size(monkeypatch):
    from damon_tui.record import damo

    monkeypatch.delenv("DAMON_TUI_MAX_DECOMPRESSED", raising=False)
    assert damo.max_decompressed(10) == damo.MAX_DECOMPRESSED
    assert damo.max_decompressed(10 << 20) == damo.MAX_RATIO * (10 << 20)


def test_frame_zlib_bomb_is_damage_not_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(ours_mod, "MAX_FRAME_BODY", 1 << 16)
    path = tmp_path / "r.rec"
    _record(path, 3)
    data = path.read_bytes()
    # append a frame whose zlib body inflates beyond the limit
    payload = bytes([ours_mod.F_ZLIB]) + zlib.compress(b"\0" * (1 << 20))
    frame = bytearray([ours_mod.FRAME_MARK])
    ours_mod._varint(len(payload), frame)
    frame += ours_mod._CRC.pack(zlib.crc32(payload)) + payload
    path.write_bytes(data + bytes(frame))
    rec = open_record(path)
    assert rec.nr_snapshots == 3
    assert "decompresses to more than 65536 bytes" in rec.warnings[0]


# -- numbers damo never writes -----------------------------------------------------


@pytest.mark.parametrize("value,name", [("NaN", "NaN"), ("Infinity", "Infinity"),
                                        ("-Infinity", "Infinity"), ("1e400", "start")])
def test_damo_non_finite_addresses_are_refused(tmp_path, capsys, value, name):
    path = tmp_path / "d.json"
    path.write_text(_damo_doc(start=value))
    _one_line_error(path, capsys, name)


def test_damo_deeply_nested_json_is_refused(tmp_path, capsys):
    path = tmp_path / "d.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    _one_line_error(path, capsys, "nested too deeply")


@pytest.mark.parametrize("start,end", [('"-4096"', '"8192"'), ('"8192"', '"4096"'),
                                       ("-4096", "8192"), ("8192", "4096")])
def test_damo_negative_or_inverted_regions_are_refused(tmp_path, capsys, start, end):
    path = tmp_path / "d.json"
    path.write_text(_damo_doc(start=start, end=end))
    _one_line_error(path, capsys, "region 0: ")


@pytest.mark.parametrize("extra", [0, 3])  # the generic parser and the fast scanner
def test_damo_end_time_before_start_time_is_refused(tmp_path, capsys, extra):
    path = tmp_path / "d.json"
    path.write_text(_damo_doc(st="500", en="100", extra_snapshots=extra))
    _one_line_error(path, capsys, "snapshot 0: end_time", "before start_time 500")


@pytest.mark.parametrize("line,field", [
    ("kdamond.0 1 [000] 10.5: damon:damon_aggregated: target_id=1 nr_regions=1 "
     "8192-4096: 1 2", "region: end 4096 is below start 8192"),
    ("kdamond.0 1 [000] inf: damon:damon_aggregated: target_id=1 nr_regions=1 "
     "0-4096: 1 2", "timestamp"),
    ("kdamond.0 1 [000] 1e300: damon:damon_aggregated: target_id=1 nr_regions=1 "
     "0-4096: 1 2", "timestamp"),
])
def test_perf_script_inverted_regions_and_huge_times_are_refused(tmp_path, capsys, line,
                                                                 field):
    path = tmp_path / "perf.txt"
    path.write_text(line + "\n")
    err = _one_line_error(path, capsys, field)
    assert f"{path}:1:" in err


# -- our header ----------------------------------------------------------------------


def _record(path, n=10, compress=False, **header_extra):
    header = make_header(ops="test", targets=[{"target_id": 7, "description": "t"}],
                         attrs={"sample_us": 5000, "aggr_us": 100000}, **header_extra)
    ends = []
    with RecordWriter(path, header, compress=compress) as w:
        for i in range(n):
            regs = [(4096 * j, 4096 * (j + 1), (i + j) % 21, i) for j in range(20)]
            w.write_frame(i * 10**8, (i + 1) * 10**8, 5000, 100000,
                          [(0, array("Q", [r[0] for r in regs]),
                            array("Q", [r[1] for r in regs]),
                            array("I", [r[2] for r in regs]),
                            array("I", [r[3] for r in regs]))])
            ends.append(w.bytes_written)
    return ends


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e300, -5, "yesterday",
                                   True])
def test_header_start_time_must_be_a_sane_epoch_time(tmp_path, capsys, value):
    path = tmp_path / "r.rec"
    _record(path, 2, start_time=value)
    _one_line_error(path, capsys, "header: start_time")


@pytest.mark.parametrize("attrs,field", [
    ({"sample_us": "5000", "aggr_us": 100000}, "attrs.sample_us"),
    ({"sample_us": 5000, "aggr_us": float("nan")}, "attrs.aggr_us"),
    ({"sample_us": 0, "aggr_us": 100000}, "attrs.sample_us"),
    ({"sample_us": 5000, "aggr_us": 100000, "update_us": -1}, "attrs.update_us"),
    ("fast", "attrs"),
])
def test_header_attrs_must_be_integers(tmp_path, capsys, attrs, field):
    path = tmp_path / "r.rec"
    header = make_header(ops="test", targets=[{"target_id": 0, "description": "t"}],
                         attrs=attrs)
    RecordWriter(path, header).close()
    _one_line_error(path, capsys, f"header: {field}:")


def test_frame_with_end_before_start_is_damage(tmp_path):
    path = tmp_path / "r.rec"
    header = make_header(ops="test", targets=[{"target_id": 0, "description": "t"}],
                         attrs={"sample_us": 5000, "aggr_us": 100000})
    one = (0, array("Q", [0]), array("Q", [4096]), array("I", [1]), array("I", [0]))
    with RecordWriter(path, header) as w:
        w.write_frame(0, 100, 5000, 100000, [one])
        w.write_frame(500, 200, 5000, 100000, [one])
    rec = open_record(path)
    assert rec.nr_snapshots == 1
    assert "end_time before start_time" in rec.warnings[0]


# -- damaged header, intact frames: resynchronisation --------------------------------


@pytest.mark.parametrize("where", ["crc", "json", "length"])
@pytest.mark.parametrize("compress", [False, True])
def test_damaged_header_recovers_every_frame(tmp_path, where, compress):
    path = tmp_path / "r.rec"
    _record(path, 10, compress=compress)
    data = bytearray(path.read_bytes())
    good = open_record(path)
    head = len(ours_mod.MAGIC) + ours_mod._HEAD.size
    if where == "crc":
        data[head - 1] ^= 0x55
    elif where == "json":
        data[head + 3] = ord("!")
    else:  # the header length now points into the middle of the frames
        data[len(ours_mod.MAGIC) + 2] ^= 0x40
    path.write_bytes(bytes(data))
    rec = open_record(path)
    assert rec.nr_snapshots == 10
    assert len(rec.warnings) == 1 and "resynchronised" in rec.warnings[0]
    t, g = rec.targets[0], good.targets[0]
    assert (t.starts, t.ends, t.nr_accesses, t.ages, t.snap_start, t.snap_end) == \
        (g.starts, g.ends, g.nr_accesses, g.ages, g.snap_start, g.snap_end)
    assert rec.intervals.sample_us == 5000 and rec.intervals.aggr_us == 100000


def test_damaged_header_report_runs_and_exits_2(tmp_path, capsys):
    path = tmp_path / "r.rec"
    _record(path, 30)
    data = bytearray(path.read_bytes())
    data[30] ^= 0x55
    path.write_bytes(bytes(data))
    assert main(["report", "wss", "--exclude-samples", "0", str(path)]) == 2
    out, err = capsys.readouterr()
    errors = [x for x in err.splitlines() if not x.startswith("# ")]
    assert len(errors) == 1 and "header checksum mismatch" in errors[0]
    assert "resynchronised" in errors[0]
    assert "# avr:" in out


def test_damaged_header_without_frames_is_an_error(tmp_path):
    path = tmp_path / "r.rec"
    _record(path, 0)
    data = bytearray(path.read_bytes())
    data[30] ^= 0x55
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="header checksum mismatch; no intact frame"):
        open_record(path)


def test_newer_version_is_not_resynchronised(tmp_path):
    path = tmp_path / "r.rec"
    _record(path, 3)
    data = bytearray(path.read_bytes())
    data[len(ours_mod.MAGIC)] = 2
    data[30] ^= 0x55
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="version 2 is not supported"):
        open_record(path)


def test_header_json_never_holds_the_frame_marker():
    header = make_header(ops="sim", targets=[{"target_id": 0, "description": "é ü \u2603"}],
                         attrs={"sample_us": 5000, "aggr_us": 100000})
    assert bytes([ours_mod.FRAME_MARK]) not in json.dumps(header, sort_keys=True).encode()
