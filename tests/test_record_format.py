"""Our record format: snapshots round-trip exactly, frames are self-delimiting."""

from __future__ import annotations

import importlib
import random
from array import array

import pytest

from damon_tui.record import RecordWriter, detect_format, make_header, open_record
from damon_tui.record.ours import MAGIC, read_ours


def _header(nt: int = 1, attrs=None) -> dict:
    return make_header(ops="test", targets=[{"target_id": i, "description": f"t{i}"}
                                            for i in range(nt)],
                       attrs=attrs or {"sample_us": 5000, "aggr_us": 100000})


def _random_snapshots(rng: random.Random, n: int, max_regions: int = 40, aligned=True):
    """Snapshots like DAMON's: sorted regions that split, merge and age."""
    snaps = []
    base = rng.choice([0, 4096, 0x7F0000000000])
    for _ in range(n):
        k = rng.randint(0, max_regions)
        addr = base
        regions = []
        for _ in range(k):
            addr += rng.choice([0, 0, 0, rng.randint(1, 50)]) * (4096 if aligned else 1)
            size = rng.randint(0, 2000) * (4096 if aligned else rng.randint(1, 7))
            regions.append((addr, addr + size, rng.choice([0, 1, 5, 6, 13, 14, 20, 2**32 - 1]),
                            rng.choice([0, 1, 2, 100, 2**32 - 1])))
            addr += size
        snaps.append(regions)
    return snaps


def _write(path, snaps_per_target, ext=None, compress=None):
    nt = len(snaps_per_target)
    with RecordWriter(path, _header(nt), compress=compress) as w:
        t = 0
        for i in range(len(snaps_per_target[0])):
            blocks = []
            for ti in range(nt):
                regs = snaps_per_target[ti][i]
                blocks.append((ti, array("Q", [r[0] for r in regs]),
                               array("Q", [r[1] for r in regs]),
                               array("I", [r[2] for r in regs]),
                               array("I", [r[3] for r in regs])))
            w.write_frame(t, t + 100_000_000, 5000, 100000, blocks,
                          ext[i] if ext else None)
            t += 100_000_000
    return w


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("compress", [None, True, False])
def test_random_snapshots_round_trip_exactly(tmp_path, seed, compress):
    rng = random.Random(seed)
    snaps = [_random_snapshots(rng, 30, aligned=seed % 2 == 0) for _ in range(1 + seed % 3)]
    path = tmp_path / "r.rec"
    _write(path, snaps, compress=compress)
    rec = open_record(path)
    assert rec.format == "damon-tui"
    assert rec.warnings == []
    assert len(rec.targets) == len(snaps)
    for ti, t in enumerate(rec.targets):
        assert t.nr_snapshots == 30
        for i in range(30):
            assert t.regions(i) == snaps[ti][i]
            assert t.snap_start[i] == i * 100_000_000
            assert t.snap_end[i] == (i + 1) * 100_000_000
    assert rec.intervals.sample_us == 5000 and rec.intervals.aggr_us == 100000


def test_unsorted_and_overlapping_regions_still_round_trip(tmp_path):
    snaps = [[(9000, 10000, 3, 1), (0, 5000, 7, 2), (100, 200, 0, 0), (100, 100, 1, 1)],
             [(50, 60, 1, 3), (2**64 - 10, 2**64 - 1, 2, 2)]]
    path = tmp_path / "r.rec"
    _write(path, [snaps])
    t = open_record(path).targets[0]
    assert [t.regions(i) for i in range(2)] == snaps


def test_frame_extension_bytes_are_kept_per_frame(tmp_path):
    snaps = [[(0, 4096, 1, 0)]] * 3
    path = tmp_path / "r.rec"
    _write(path, [snaps], ext=[b'{"schemes": [1]}', None, b"x"])
    rec = open_record(path)
    assert rec.extensions == [(0, b'{"schemes": [1]}'), (2, b"x")]


def test_frames_may_carry_a_subset_of_targets(tmp_path):
    path = tmp_path / "r.rec"
    with RecordWriter(path, _header(2)) as w:
        w.write_frame(0, 10, 1, 10, [(0, [0], [4096], [1], [0])])
        w.write_frame(10, 20, 1, 10, [(1, [8192], [12288], [2], [0]),
                                      (0, [0], [8192], [3], [1])])
    rec = open_record(path)
    assert rec.targets[0].nr_snapshots == 2
    assert rec.targets[1].nr_snapshots == 1
    assert rec.targets[1].regions(0) == [(8192, 12288, 2, 0)]
    assert rec.targets[1].snap_start[0] == 10
    assert rec.targets[0].regions(1) == [(0, 8192, 3, 1)]


def test_header_holds_version_attrs_ops_targets_resolution_and_start_time(tmp_path):
    path = tmp_path / "r.rec"
    header = make_header(ops="sim", targets=[{"target_id": 0, "description": "sim:zigzag"}],
                         attrs={"sample_us": 5000, "aggr_us": 100000}, resolution="per page",
                         start_time=1234.5, schemes=[{"action": "stat"}])
    RecordWriter(path, header).close()
    data = path.read_bytes()
    assert data.startswith(MAGIC)
    assert detect_format(data) == "damon-tui"
    rec = read_ours(str(path), data)
    for key in ("version", "attrs", "ops", "targets", "resolution", "start_time", "schemes"):
        assert key in rec.header
    assert rec.header["start_time"] == 1234.5 and rec.nr_snapshots == 0


def test_writer_rejects_unknown_target_id(tmp_path):
    class T:
        target_id = 7
        starts = ends = nr_accesses = ages = array("Q")

    class S:
        start_us, end_us, sample_us, aggr_us, targets = 0, 1, 1, 1, [T()]

    with RecordWriter(tmp_path / "r.rec", _header(1)) as w, pytest.raises(ValueError):
        w.write_snapshot(S())


def test_engine_snapshots_round_trip_with_sim(tmp_path):
    engine = importlib.import_module("damon_tui.engine")
    sim = importlib.import_module("damon_tui.ops.sim")
    ops = sim.SimOps("kvstore", seed=3)
    snaps = list(engine.Monitor(ops, engine.Attrs(), seed=3).run(20_000_000))
    path = tmp_path / "r.rec"
    header = make_header(ops=ops.kind, targets=[{"target_id": t.target_id,
                                                 "description": t.description}
                                                for t in ops.targets()],
                         attrs={"sample_us": 5000, "aggr_us": 100000})
    with RecordWriter(path, header) as w:
        for s in snaps:
            w.write_snapshot(s)
    t = open_record(path).targets[0]
    assert t.nr_snapshots == len(snaps) == 200
    for i, s in enumerate(snaps):
        assert t.regions(i) == list(s.targets[0])
        assert (t.snap_start[i], t.snap_end[i]) == (s.start_us * 1000, s.end_us * 1000)
