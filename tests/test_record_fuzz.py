"""Fuzzing the readers: any bytes give a Record or a UserError, never a crash."""

from __future__ import annotations

import json
import zlib
from array import array

from damon_tui._fast import decode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from damon_tui.errors import UserError
from damon_tui.record import RecordWriter, make_header, open_record

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _try(path, data: bytes):
    path.write_bytes(data)
    try:
        rec = open_record(path)
    except UserError as e:
        assert "\n" not in str(e)
        return None
    for t in rec.targets:  # decoded arrays are consistent
        assert len(t.offsets) == t.nr_snapshots + 1
        assert t.offsets[-1] == len(t.starts) == len(t.ends) == len(t.ages)
    return rec


def _valid_record(path) -> bytes:
    header = make_header(ops="test", targets=[{"target_id": 0, "description": "t"},
                                              {"target_id": 1, "description": "u"}],
                         attrs={"sample_us": 5000, "aggr_us": 100000})
    with RecordWriter(path, header) as w:
        for i in range(6):
            blocks = [(ti, array("Q", [0, 8192 * (i + 1)]), array("Q", [4096, 8192 * (i + 2)]),
                       array("I", [i, 20 - i]), array("I", [i, 0])) for ti in (0, 1)]
            w.write_frame(i * 100, i * 100 + 100, 5000, 100000, blocks, b"{}" if i % 2 else None)
    return path.read_bytes()


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes(tmp_path, data):
    _try(tmp_path / "f", data)


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1,
                      max_size=4),
       cut=st.one_of(st.none(), st.integers(0, 10**6)))
def test_mutated_damon_tui_record(tmp_path, flips, cut):
    data = bytearray(_valid_record(tmp_path / "v"))
    for pos, x in flips:
        data[pos % len(data)] ^= x
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    _try(tmp_path / "f", bytes(data))


@FUZZ
@given(buf=st.binary(max_size=200), n=st.integers(0, 50), shift=st.integers(-2, 70),
       pn=st.integers(0, 5))
def test_region_decoder_never_reads_out_of_bounds(buf, n, shift, pn):
    size = pn + n
    arrs = (array("Q", range(size)), array("Q", range(1, size + 1)), array("I", [0] * size),
            array("I", [0] * size))
    r = decode.decode_target(buf, 0, len(buf), *arrs, pn, n, 0, pn, shift)
    assert r == -1 or 0 <= r <= len(buf)


_json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                         st.text(max_size=8), st.sampled_from(["1,024", "5 ms", "0 B", "-1"]))
_json = st.recursive(_json_scalar, lambda c: st.one_of(
    st.lists(c, max_size=4),
    st.dictionaries(st.sampled_from(["target_id", "snapshots", "regions", "start", "end",
                                     "nr_accesses", "samples", "percent", "age",
                                     "aggr_intervals", "usec", "start_time", "end_time",
                                     "intervals", "sample_us", "aggr_us", "ops_update_us"]),
                    c, max_size=6)), max_leaves=30)


@settings(FUZZ, max_examples=60)
@given(doc=_json, compress=st.booleans())
def test_damo_json_documents(tmp_path, doc, compress):
    text = json.dumps(doc).encode()
    _try(tmp_path / "f", zlib.compress(text) if compress else text)


@FUZZ
@given(lines=st.lists(st.sampled_from([
    "kdamond.0 1 [000] 10.5: damon:damon_aggregated: target_id=1 nr_regions=2 0-4096: 1 2",
    "kdamond.0 1 [000] 10.6: damon:damon_aggregated: target_id=1 nr_regions=1 4096-8192: 3",
    "kdamond.0 1 [000] 9.0: damon:damon_aggregated: target_id=2 nr_regions=1 x-y: 3",
    "kdamond.0 1 [000] 11: damon:damon_aggregated: target_id=z nr_regions=1 0-1: 0 0",
    "kdamond.0 1 [000] 12: damon:damon_aggregated: target_id=1 nr_regions=1 "
    "0-99999999999999999999999: 0 0",
    "junk line", "", "a b c d e f g h",
]), max_size=12))
def test_perf_script_lines(tmp_path, lines):
    _try(tmp_path / "f", "\n".join(lines).encode())
