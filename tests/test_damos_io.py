"""Scheme input/output: one-line format, damo JSON (checked against damo itself)."""

import json

import pytest
from support import require

from damon_tui.damos.io import (
    format_one_line,
    kdamonds_to_dict,
    load_schemes,
    parse_one_line,
    scheme_to_dict,
    schemes_from_json,
    schemes_to_json,
)
from damon_tui.damos.scheme import Accesses, Age, Filter, Quota, QuotaGoal, Scheme, Weights
from damon_tui.errors import UserError
from damon_tui.units import ULONG_MAX


def test_seven_field_line_from_the_docs():
    s = parse_one_line("4K max 0 0 60s max pageout")
    p = s.access_pattern
    assert (p.min_sz, p.max_sz) == (4096, ULONG_MAX)
    assert p.min_nr_accesses == Accesses(0) and p.max_nr_accesses == Accesses(0)
    assert p.min_age == Age(60_000_000, "usec")
    assert p.resolve(5000, 100_000).min_age == 600
    assert s.action == "pageout" and s.quota == Quota()


def test_eighteen_field_debugfs_example():
    s = parse_one_line("4096 8192 0 5 10 20 2 10 1073741824 1000 0 0 100 1 5000000 600 500 300")
    r = s.access_pattern.resolve(5000, 100_000)
    assert (r.min_sz, r.max_sz, r.min_nr_accesses, r.max_nr_accesses, r.min_age, r.max_age) == \
        (4096, 8192, 0, 5, 10, 20)
    assert s.action == "pageout"
    assert s.quota == Quota(10, 1 << 30, 1000, Weights(0, 0, 100))
    w = s.watermarks
    assert (w.metric, w.interval_us, w.high, w.mid, w.low) == ("free_mem_rate", 5_000_000,
                                                               600, 500, 300)


def test_percent_accesses_resolve_against_the_samples_per_aggregation():
    s = parse_one_line("min max 50% 100% min max stat")
    r = s.access_pattern.resolve(5000, 100_000)
    assert (r.min_nr_accesses, r.max_nr_accesses) == (10, 20)


def test_one_line_round_trips():
    for line in ("4096 max 0 0 60s max pageout",
                 "4096 8192 0 5 10 20 pageout 10 1073741824 1000 0 0 100 "
                 "free_mem_rate 5000000 600 500 300"):
        s = parse_one_line(line)
        assert parse_one_line(format_one_line(s)) == s


@pytest.mark.parametrize("line, field", [
    ("4K max 0 0 60s max explode", "action: unknown action 'explode'"),
    ("4K 2K 0 0 60s max pageout", "access_pattern.sz_bytes: min (4096) > max (2048)"),
    ("4K max 5 1 0 max pageout", "access_pattern.nr_accesses: min (5) > max (1)"),
    ("4K max 0 0 x max pageout", "min_age"),
    ("4K max 0 0 1 max pageout 0 0 1000 0 0 0 2 5s 500 400 300", "wmarks_metric"),
    ("4K max 0 0 60s max", "expected 7, 10, 13 or 18 fields"),
    ("4K max 0 0 1 max 9", "unknown action code 9"),
])
def test_bad_lines_name_the_scheme_and_field(line, field):
    with pytest.raises(UserError) as e:
        parse_one_line(line, "rules.txt:3")
    assert str(e.value).startswith("rules.txt:3: ")
    assert field in str(e.value)


def test_scheme_files_take_comments_and_report_the_line(tmp_path):
    f = tmp_path / "schemes.txt"
    f.write_text("# min-size max-size min-acc max-acc min-age max-age action\n"
                 "4K max 0 0 60s max pageout\n\nmin max 5 max min max nowhere\n")
    with pytest.raises(UserError, match=r"schemes.txt:4: scheme 1: action"):
        load_schemes(str(f))
    f.write_text("4K max 0 0 60s max pageout  # cold\nmin max 5 max min max stat\n")
    assert [s.action for s in load_schemes(str(f))] == ["pageout", "stat"]
    assert [s.action for s in load_schemes("4K max 0 0 1s max cold; min max 1 max min max stat")] \
        == ["cold", "stat"]


def full_scheme():
    return Scheme(
        parse_one_line("4K 1G 10% 90% 2s 1h pageout").access_pattern, "pageout",
        apply_interval_us=200_000,
        quota=Quota(10, 1 << 30, 1000, Weights(0, 3, 7),
                    (QuotaGoal("user_input", 10000, 1234),
                     QuotaGoal("node_mem_free_bp", 2000, 0, nid=0)), "consist"),
        watermarks=parse_one_line(
            "4096 8192 0 5 10 20 2 0 0 1000 0 0 0 1 5000000 600 500 300").watermarks,
        filters=(Filter("addr", True, False, addr_start=4096, addr_end=1 << 20),
                 Filter("target", False, True, target_idx=1)))


def test_json_round_trip_keeps_everything():
    s = full_scheme()
    back = load_schemes(schemes_to_json([s]))
    assert back == (s,)


def test_kdamonds_document_is_read_in_context_order():
    doc = kdamonds_to_dict([full_scheme(), Scheme(action="stat")], ops="paddr")
    back = schemes_from_json(json.loads(json.dumps(doc)))
    assert [s.action for s in back] == ["pageout", "stat"]
    assert doc["kdamonds"][0]["contexts"][0]["ops"] == "paddr"


def _damo():
    """damo's own ``_damon`` module (damo imports its modules flat)."""
    import importlib.util
    import sys

    spec = importlib.util.find_spec("damo")
    if spec is None or not spec.submodule_search_locations:
        require(False, "damo 3.4.3 is not installed (pip install damo==3.4.3, the test extra)")
    path = list(spec.submodule_search_locations)[0]
    if path not in sys.path:
        sys.path.append(path)
    import _damon

    return _damon


def test_damo_reads_what_we_write():
    damon = _damo()
    s = full_scheme()
    d = damon.Damos.from_kvpairs(json.loads(json.dumps(scheme_to_dict(s))))
    assert d.action == "pageout"
    assert d.access_pattern.sz_bytes == [4096, 1 << 30]
    assert d.access_pattern.nr_accesses_unit == "percent"
    assert [a.percent for a in d.access_pattern.nr_acc_min_max] == [10, 90]
    assert [a.usec for a in d.access_pattern.age_min_max] == [2_000_000, 3_600_000_000]
    assert d.quotas.time_ms == 10 and d.quotas.sz_bytes == 1 << 30
    assert d.quotas.weight_age_permil == 7
    assert [g.metric for g in d.quotas.goals] == ["user_input", "node_mem_free_bp"]
    assert d.watermarks.metric == "free_mem_rate" and d.watermarks.low_permil == 300
    assert [f.filter_type for f in d.filters] == ["addr", "target"]
    assert d.filters[1].damon_target_idx == 1 and d.filters[1].allow


@pytest.mark.parametrize("raw", [True, False])
def test_we_read_damo_output_the_way_damo_reads_it(raw):
    damon = _damo()
    d = damon.Damos(
        access_pattern=damon.DamosAccessPattern(["4K", "max"], ["0", "5"], "samples",
                                                ["10", "max"], "aggr_intervals"),
        action="pageout",
        quotas=damon.DamosQuotas(time_ms=10, sz_bytes="1 GiB", reset_interval_ms=1000,
                                 weights=["0", "0", "100"]),
        watermarks=damon.DamosWatermarks("free_mem_rate", "5 s", 600, 500, 300))
    kv = json.loads(json.dumps(d.to_kvpairs(raw=raw)))
    (s,) = schemes_from_json([kv])
    r = s.access_pattern.resolve(5000, 100_000)
    assert (r.min_sz, r.max_sz, r.min_nr_accesses, r.max_nr_accesses, r.min_age) == \
        (4096, ULONG_MAX, 0, 5, 10)
    assert r.max_age >= 2**32 - 1
    # damo's raw form writes time_ms in ns; damo itself then reads it as ms, so do we
    theirs = damon.Damos.from_kvpairs(kv).quotas
    assert (s.quota.ms, s.quota.sz, s.quota.reset_interval_ms) == \
        (theirs.time_ms, theirs.sz_bytes, theirs.reset_interval_ms)
    assert s.quota.weights == Weights(0, 0, 100)
    if not raw:
        assert s.quota == Quota(10, 1 << 30, 1000, Weights(0, 0, 100))
    tw = damon.Damos.from_kvpairs(kv).watermarks
    assert (s.watermarks.interval_us, s.watermarks.high, s.watermarks.low) == \
        (tw.interval_us, 600, 300)
    if not raw:
        assert s.watermarks.interval_us == 5_000_000


def test_json_errors_name_file_scheme_and_field(tmp_path):
    f = tmp_path / "s.json"
    bad = scheme_to_dict(Scheme(action="pageout"))
    bad["watermarks"] = {"metric": "free_mem_rate", "interval_us": "5 s", "high_permil": 500,
                         "mid_permil": 400, "low_permil": -1}
    f.write_text(json.dumps([scheme_to_dict(Scheme()), bad]))
    with pytest.raises(UserError, match=r"s.json: scheme 1: watermarks"):
        load_schemes(str(f))
    f.write_text("[{")
    with pytest.raises(UserError, match=r"s.json:1: invalid JSON"):
        load_schemes(str(f))
    with pytest.raises(UserError, match=r"scheme 0: quotas.sz_bytes"):
        schemes_from_json([{"action": "stat", "quotas": {"sz_bytes": "lots"}}])


def test_stats_are_written_in_damo_shape():
    from damon_tui.damos.runtime import DamosStats
    d = scheme_to_dict(Scheme(), DamosStats(1, 4096, 1, 4096, 4096, 0, 3))
    assert d["stats"]["sz_applied"] == 4096 and d["stats"]["nr_snapshots"] == 3
