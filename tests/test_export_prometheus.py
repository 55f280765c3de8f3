"""export: a Prometheus endpoint over the snapshot stream, scraped on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
import re
import socket
import threading
import time
import urllib.request
from array import array
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from damon_tui.cli import main
from damon_tui.damos.runtime import DamosStats, runner_for
from damon_tui.engine import Attrs, Monitor, Snapshot, TargetSnapshot
from damon_tui.errors import UserError
from damon_tui.export import DamonCollector, Exporter, ExportState, parse_listen
from damon_tui.ops.base import TargetGone, TargetInfo
from damon_tui.ops.sim import SimOps
from damon_tui.options.schemes import config_from_args


def scrape(url: str) -> dict:
    """``{sample name: [(labels, value), ...]}`` parsed by prometheus_client's parser."""
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    out: dict = {}
    types = {}
    for fam in text_string_to_metric_families(text):
        types[fam.name] = fam.type
        for s in fam.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    out["__types__"] = types
    return out


def reclaim_monitor(ops) -> Monitor:
    ns = argparse.Namespace(preset="reclaim", profile=None, param=["min_age=1s"],
                            profiles_dir=None, schemes=None)
    schemes, attrs = config_from_args(ns, Attrs())
    return Monitor(ops, attrs, damos=runner_for(schemes, ops, attrs.sample_us, attrs.aggr_us))


@pytest.fixture
def served():
    exporters = []

    def serve(monitor, preset=None):
        state = ExportState(monitor, preset)
        ex = Exporter(state, "127.0.0.1", 0)
        exporters.append(ex)
        return state, ex
    yield serve
    for ex in exporters:
        ex.close()


def test_scrape_reports_targets_intervals_and_scheme_counters(served):
    m = reclaim_monitor(SimOps("stairs"))
    state, ex = served(m, "reclaim")
    for snap in m.run(30_000_000):
        state.update(snap)
    got = scrape(ex.url)
    types = got["__types__"]
    assert types["damon_scheme_applied_bytes"] == "counter"
    assert types["damon_target_wss_bytes"] == "gauge"
    assert got["damon_sample_interval_seconds"][0][1] == pytest.approx(0.005)
    assert got["damon_aggregation_interval_seconds"][0][1] == pytest.approx(0.1)
    (labels, total), = got["damon_target_monitored_bytes"]
    assert labels == {"kdamond": "0", "target": "0"}
    assert total == state.snapshot.targets[0].total_bytes
    qs = {lab["quantile"]: v for lab, v in got["damon_target_wss_bytes"]}
    assert set(qs) == {"0", "0.25", "0.5", "0.75", "1"}
    assert qs["0"] <= qs["0.5"] <= qs["1"] <= total
    stats = m.damos.stats()[0]
    assert stats.sz_applied > 0  # stairs leaves 10 MB steps cold: something was paged out
    (lab, applied), = got["damon_scheme_applied_bytes_total"]
    assert lab == {"kdamond": "0", "scheme": "0", "action": "pageout"}
    assert applied == stats.sz_applied
    assert got["damon_scheme_tried_regions_total"][0][1] == stats.nr_tried
    assert got["damon_reclaim_reclaimed_bytes_total"][0][1] == stats.sz_applied
    assert got["damon_scheme_active"][0][1] in (0, 1)
    assert got["damon_monitor_running"][0][1] == 1
    assert {lab["mode"] for lab, _ in got["damon_monitor_cpu_seconds_total"]} == {"user",
                                                                                  "system"}


def test_no_schemes_no_scheme_metrics_and_nothing_global(served):
    m = Monitor(SimOps("zigzag"), Attrs())
    state, ex = served(m)
    for snap in m.run(1_000_000):
        state.update(snap)
    got = scrape(ex.url)
    assert "damon_scheme_applied_bytes_total" not in got
    assert got["damon_aggregations_total"][0][1] == 10
    assert not any(n.startswith("damon_") for n in REGISTRY._names_to_collectors)


class _ExitingSim(SimOps):
    """A sim whose target exits after ``gone_us`` of monitoring."""

    def __init__(self, gone_us: int) -> None:
        super().__init__("zigzag")
        self.gone_us = gone_us

    def update_each_interval(self) -> bool:
        return True

    def target_ranges(self, target_idx):
        if self.now_us >= self.gone_us:
            raise TargetGone("exited")
        return super().target_ranges(target_idx)


def test_target_exit_is_reported_and_the_endpoint_keeps_serving(served):
    m = Monitor(_ExitingSim(3_000_000), Attrs(update_us=1_000_000))
    state, ex = served(m)
    for snap in m.run(60_000_000):
        state.update(snap)
    assert m.now_us < 10_000_000  # ended by the exit, not the duration
    state.end("the target exited")
    for _ in range(2):
        got = scrape(ex.url)
        assert got["damon_monitor_running"][0][1] == 0
        assert got["damon_target_monitored_bytes"][0][1] > 0  # last values kept


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_serves_until_monitoring_ends(capsys):
    port = _free_port()
    rc: list[int] = []
    t = threading.Thread(target=lambda: rc.append(main(
        ["export", "--prometheus", f"127.0.0.1:{port}", "--sim", "zigzag", "--duration",
         "20s", "--speed", "10", "--exit-when-done"])))
    t.start()
    got = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and t.is_alive():
        try:
            got = scrape(f"http://127.0.0.1:{port}/metrics")
            break
        except OSError:
            time.sleep(0.1)
    t.join(timeout=60)
    assert rc == [0]
    assert got is not None and got["damon_target_info"][0][0]["description"] == "sim:zigzag"
    assert "monitoring ended" in capsys.readouterr().err


def test_cli_taken_port_is_one_line_exit_2(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        rc = main(["export", "--prometheus", f"127.0.0.1:{port}", "--sim", "zigzag"])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "cannot listen" in err


@pytest.mark.parametrize("text", ["127.0.0.1", ":9100", "127.0.0.1:x", "127.0.0.1:70000",
                                  "localhost:-1"])
def test_bad_listen_addresses_are_refused(text, capsys):
    with pytest.raises(UserError):
        parse_listen(text)
    assert main(["export", "--prometheus", text, "--sim", "zigzag"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_parse_listen_accepts_ipv6_brackets():
    assert parse_listen("[::1]:9877") == ("::1", 9877)
    assert parse_listen("127.0.0.1:0") == ("127.0.0.1", 0)


def _served_names(preset: str) -> set[str]:
    ns = argparse.Namespace(preset=preset, profile=None, param=[], profiles_dir=None,
                            schemes=None)
    ops = SimOps("stairs")
    schemes, attrs = config_from_args(ns, Attrs())
    m = Monitor(ops, attrs, damos=runner_for(schemes, ops, attrs.sample_us, attrs.aggr_us))
    state = ExportState(m, preset)
    for snap in m.run(6_000_000):
        state.update(snap)
    return {s.name for fam in DamonCollector(state).collect() for s in fam.samples}


def test_grafana_dashboard_uses_only_served_metrics():
    path = Path(__file__).resolve().parent.parent / "contrib" / "grafana" / "damon-tui.json"
    dash = json.loads(path.read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    used = {n for e in exprs for n in re.findall(r"\bdamon_[a-z_]+", e)}
    served = _served_names("reclaim") | _served_names("lru_sort")
    assert used and used <= served, sorted(used - served)


class _KernelLike:
    """What the kernel backend's monitor offers: no engine DAMOS, stats in snapshots."""

    def __init__(self, schemes) -> None:
        class _Ops:
            kind, resolution = "vaddr", "per page"

            def targets(self):
                return [TargetInfo(0, "pid 42 (app)", 42)]

        self.ops = _Ops()
        self.attrs = Attrs()
        self.schemes = schemes
        self.damos = None
        self.now_us = 5_000_000


def test_scheme_counters_come_from_the_snapshot_stream_without_an_engine():
    ns = argparse.Namespace(preset="reclaim", profile=None, param=[], profiles_dir=None,
                            schemes=None)
    schemes, _ = config_from_args(ns, Attrs())
    m = _KernelLike(schemes)
    state = ExportState(m, "reclaim")
    ts = TargetSnapshot(0, array("Q", [0x1000]), array("Q", [0x9000]), array("I", [3]),
                        array("I", [1]))
    stats = (DamosStats(nr_tried=4, sz_tried=4096 * 8, nr_applied=2, sz_applied=8192,
                        qt_exceeds=1),)
    state.update(Snapshot(0, 100_000, 5000, 100_000, [ts], stats))
    got = {s.name: s.value for fam in DamonCollector(state).collect() for s in fam.samples}
    assert got["damon_scheme_applied_bytes_total"] == 8192
    assert got["damon_scheme_quota_exceeds_total"] == 1
    assert got["damon_reclaim_reclaimed_regions_total"] == 2
    assert got["damon_target_wss_last_bytes"] == 0x8000
    assert "damon_watermark_idle_seconds_total" not in got
