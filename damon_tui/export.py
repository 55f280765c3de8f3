"""Prometheus / OpenMetrics export of a running monitor (``damon-tui export``).

:class:`ExportState` keeps the latest :class:`~damon_tui.engine.Snapshot` and a short
working-set history; :class:`DamonCollector` turns it into metric families on every
scrape (a custom collector on its own registry: nothing is registered globally).
:class:`Exporter` serves the registry over HTTP with ``prometheus_client``.  It only
needs the generic snapshot stream, so any operations set (sim, processes, physical
memory, a kernel backend) can be exported.

Names follow Prometheus conventions: ``damon_`` prefix, base units (bytes, seconds),
``_total`` for counters; labels ``kdamond`` (the monitoring context), ``target`` (its
index), ``scheme`` (its index) carry host-local identity.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator

from prometheus_client import start_http_server
from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from damon_tui.damos.presets import get_preset, stats_params
from damon_tui.engine import Snapshot
from damon_tui.errors import UserError
from damon_tui.report.wss import pick, snapshot_wss

#: working-set percentiles exported (as ``quantile`` label values 0..1)
WSS_QUANTILES = (0.0, 0.25, 0.5, 0.75, 1.0)
#: snapshots kept for the working-set percentiles
WSS_WINDOW = 600

#: per-scheme DamosStats field -> (metric name without _total, help)
SCHEME_COUNTERS = (
    ("nr_tried", "damon_scheme_tried_regions", "regions the scheme tried (nr_tried)"),
    ("sz_tried", "damon_scheme_tried_bytes", "bytes of regions the scheme tried (sz_tried)"),
    ("nr_applied", "damon_scheme_applied_regions",
     "regions the action was applied to (nr_applied)"),
    ("sz_applied", "damon_scheme_applied_bytes",
     "bytes the action was applied to (sz_applied)"),
    ("qt_exceeds", "damon_scheme_quota_exceeds", "times the quota was exceeded (qt_exceeds)"),
)


def parse_listen(text: str) -> tuple[str, int]:
    """``ADDR:PORT`` (``[v6]:PORT`` for IPv6) -> ``(addr, port)``; ``UserError`` if bad."""
    addr, sep, port = text.rpartition(":")
    if addr.startswith("[") and addr.endswith("]"):
        addr = addr[1:-1]
    if not sep or not addr or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UserError(f"--prometheus {text!r}: expected ADDR:PORT such as 127.0.0.1:9877 "
                        "(port 0..65535)")
    return addr, int(port)


class ExportState:
    """What the collector reports: updated by the monitoring loop, read by scrapes."""

    def __init__(self, monitor, preset_name: str | None = None,
                 kdamond: str = "0") -> None:
        self.monitor = monitor
        self.kdamond = kdamond
        self.preset = None
        if preset_name:
            self.preset = get_preset(preset_name)
        self.targets = [(t.target_id, t.description) for t in monitor.ops.targets()]
        self._lock = threading.Lock()
        self.snapshot: Snapshot | None = None
        self.nr_snapshots = 0
        self.wss: list[deque[int]] = [deque(maxlen=WSS_WINDOW) for _ in self.targets]
        #: why monitoring ended (None while running)
        self.ended: str | None = None

    def update(self, snap: Snapshot) -> None:
        with self._lock:
            self.snapshot = snap
            self.nr_snapshots += 1
            for i, t in enumerate(snap.targets[:len(self.wss)]):
                self.wss[i].append(snapshot_wss(t))

    def end(self, reason: str) -> None:
        with self._lock:
            self.ended = reason

    def view(self) -> tuple[Snapshot | None, int, list[list[int]], str | None]:
        with self._lock:
            return self.snapshot, self.nr_snapshots, [list(w) for w in self.wss], self.ended


class DamonCollector(Collector):
    """Metric families of one monitoring context, built from :class:`ExportState`."""

    def __init__(self, state: ExportState) -> None:
        self.state = state

    def collect(self) -> Iterator:
        st = self.state
        snap, nr_snaps, wss, ended = st.view()
        kd = st.kdamond
        m = st.monitor
        ops = m.ops

        up = GaugeMetricFamily("damon_monitor_running", "1 while monitoring runs, 0 after "
                               "the targets exited or the duration ended", labels=["kdamond"])
        up.add_metric([kd], 0 if ended else 1)
        yield up
        info = GaugeMetricFamily("damon_target_info", "monitoring targets (value 1)",
                                 labels=["kdamond", "target", "description", "ops",
                                         "resolution"])
        for i, (_, desc) in enumerate(st.targets):
            info.add_metric([kd, str(i), desc, ops.kind, ops.resolution], 1)
        yield info

        attrs = m.attrs
        sample_us = snap.sample_us if snap else attrs.sample_us
        aggr_us = snap.aggr_us if snap else attrs.aggr_us
        for name, value, text in (
                ("damon_sample_interval_seconds", sample_us, "sampling interval in force"),
                ("damon_aggregation_interval_seconds", aggr_us,
                 "aggregation interval in force"),
                ("damon_update_interval_seconds", attrs.update_us,
                 "operations update interval")):
            g = GaugeMetricFamily(name, text, labels=["kdamond"])
            g.add_metric([kd], value / 1e6)
            yield g
        g = GaugeMetricFamily("damon_regions_limit", "min / max number of regions",
                              labels=["kdamond", "bound"])
        g.add_metric([kd, "min"], attrs.min_nr_regions)
        g.add_metric([kd, "max"], attrs.max_nr_regions)
        yield g
        c = CounterMetricFamily("damon_aggregations", "aggregation intervals completed",
                                labels=["kdamond"])
        c.add_metric([kd], nr_snaps)
        yield c
        c = CounterMetricFamily("damon_monitored_seconds", "time monitored (the engine's "
                                "clock: virtual for simulated targets)", labels=["kdamond"])
        c.add_metric([kd], m.now_us / 1e6)
        yield c

        yield from self._targets(snap, wss, kd)
        yield from self._schemes(snap, kd)
        cpu = CounterMetricFamily("damon_monitor_cpu_seconds", "CPU time of the monitor's "
                                  "own process", labels=["kdamond", "mode"])
        t = os.times()
        cpu.add_metric([kd, "user"], t.user)
        cpu.add_metric([kd, "system"], t.system)
        yield cpu

    def _targets(self, snap: Snapshot | None, wss: list[list[int]], kd: str) -> Iterator:
        total = GaugeMetricFamily("damon_target_monitored_bytes", "bytes of the monitored "
                                  "regions (latest snapshot)", labels=["kdamond", "target"])
        regions = GaugeMetricFamily("damon_target_regions", "number of regions (latest "
                                    "snapshot)", labels=["kdamond", "target"])
        ws = GaugeMetricFamily("damon_target_wss_bytes", f"working-set size percentiles "
                               f"over the last {WSS_WINDOW} aggregation intervals (regions "
                               "with nr_accesses >= 1)", labels=["kdamond", "target",
                                                                 "quantile"])
        last = GaugeMetricFamily("damon_target_wss_last_bytes", "working-set size of the "
                                 "latest snapshot", labels=["kdamond", "target"])
        if snap is not None:
            for i, t in enumerate(snap.targets):
                total.add_metric([kd, str(i)], t.total_bytes)
                regions.add_metric([kd, str(i)], len(t))
        for i, w in enumerate(wss):
            if not w:
                continue
            ordered = sorted(w)
            for q in WSS_QUANTILES:
                ws.add_metric([kd, str(i), f"{q:g}"], pick(ordered, q * 100))
            last.add_metric([kd, str(i)], w[-1])
        yield from (total, regions, ws, last)

    def _schemes(self, snap: Snapshot | None, kd: str) -> Iterator:
        """Per-scheme counters from the snapshot stream (engine or kernel alike)."""
        st = self.state
        m = st.monitor
        schemes = tuple(getattr(m, "schemes", ()) or ())
        damos = getattr(m, "damos", None)
        stats = tuple(snap.schemes) if snap is not None and snap.schemes else ()
        if not stats and damos is not None:
            stats = tuple(damos.stats())
        if not schemes and not stats:
            return
        actions = [getattr(sc, "action", "?") for sc in schemes]
        actions += ["?"] * (len(stats) - len(actions))
        for field, name, text in SCHEME_COUNTERS:
            c = CounterMetricFamily(name, text, labels=["kdamond", "scheme", "action"])
            for i, s in enumerate(stats):
                c.add_metric([kd, str(i), actions[i]], getattr(s, field, 0))
            yield c
        active = GaugeMetricFamily("damon_scheme_active", "1 while the scheme's watermarks "
                                   "have it activated", labels=["kdamond", "scheme"])
        esz = GaugeMetricFamily("damon_scheme_quota_effective_bytes", "effective size quota "
                                "(0 = none)", labels=["kdamond", "scheme"])
        for i, s in enumerate(stats):
            active.add_metric([kd, str(i)], 1 if getattr(s, "active", True) else 0)
            esz.add_metric([kd, str(i)], getattr(s, "esz", 0))
        yield active
        yield esz
        if st.preset is not None and stats:
            yield from self._module(stats, kd)
        if damos is None:  # the kernel keeps its watermark state to itself
            return
        wm = damos.wmarks
        if wm.last_metric is not None:
            g = GaugeMetricFamily("damon_watermark_metric_ratio", "the watermarks' metric "
                                  "(free memory rate) as a ratio", labels=["kdamond"])
            g.add_metric([kd], wm.last_metric / 1000)
            yield g
        c = CounterMetricFamily("damon_watermark_idle_seconds", "time monitoring paused "
                                "because the watermarks deactivated every scheme",
                                labels=["kdamond"])
        c.add_metric([kd], wm.idle_us / 1e6)
        yield c

    def _module(self, stats: tuple, kd: str) -> Iterator:
        preset = self.state.preset
        assert preset is not None  # _module runs only with a preset
        params = stats_params(preset, stats)
        if preset.name == "reclaim":
            mapping = (("nr_reclaim_tried_regions", "damon_reclaim_tried_regions"),
                       ("bytes_reclaim_tried_regions", "damon_reclaim_tried_bytes"),
                       ("nr_reclaimed_regions", "damon_reclaim_reclaimed_regions"),
                       ("bytes_reclaimed_regions", "damon_reclaim_reclaimed_bytes"),
                       ("nr_quota_exceeds", "damon_reclaim_quota_exceeds"))
            for param, name in mapping:
                c = CounterMetricFamily(name, f"DAMON_RECLAIM {param}", labels=["kdamond"])
                c.add_metric([kd], params[param])
                yield c
            return
        for stem, name in (("nr_lru_sort_tried_{}_regions", "damon_lru_sort_tried_regions"),
                           ("bytes_lru_sort_tried_{}_regions", "damon_lru_sort_tried_bytes"),
                           ("nr_lru_sorted_{}_regions", "damon_lru_sort_sorted_regions"),
                           ("bytes_lru_sorted_{}_regions", "damon_lru_sort_sorted_bytes"),
                           ("nr_{}_quota_exceeds", "damon_lru_sort_quota_exceeds")):
            c = CounterMetricFamily(name, f"DAMON_LRU_SORT {stem.format('<hot|cold>')}",
                                    labels=["kdamond", "temperature"])
            for temp in ("hot", "cold"):
                if stem.format(temp) in params:
                    c.add_metric([kd, temp], params[stem.format(temp)])
            yield c


class Exporter:
    """An HTTP endpoint serving one :class:`ExportState` on its own registry."""

    def __init__(self, state: ExportState, addr: str, port: int) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(DamonCollector(state))
        try:
            self._server, self._thread = start_http_server(port, addr, self.registry)
        except OSError as e:
            what = e.strerror or str(e)
            raise UserError(f"--prometheus {addr}:{port}: cannot listen: {what}") from None
        self.port = self._server.server_port
        self.addr = addr

    @property
    def url(self) -> str:
        host = f"[{self.addr}]" if ":" in self.addr else self.addr
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
