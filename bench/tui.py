"""Headless Pilot run of the TUI: heatmap frame rate, frame cost and the longest UI stall.

    python bench/tui.py [--seconds 10] [--size 200x60] [--regions 1000] [--speed max]

The engine runs in its worker thread on the zigzag sim with min = max = ``--regions``
regions; a probe coroutine on the UI loop wakes every 5 ms and records how late it
was (the UI stall).  Printed: heatmap frames per second (full repaints of the heatmap
widget), the mean / p95 / max time to draw one heatmap frame, the longest stall, and
the engine's snapshot rate.  Targets (issue 6): >= 10 fps, stall <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="200x60")
    parser.add_argument("--regions", type=int, default=1000)
    parser.add_argument("--speed", default="max", choices=("1", "10", "100", "max"))
    parser.add_argument("--workload", default="zigzag")
    args = parser.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    asyncio.run(run(args, (w, h)))


async def run(args, size) -> None:
    from damon_tui.engine import Attrs
    from damon_tui.tui.app import DamonApp
    from damon_tui.tui.heatmap import Heatmap
    from damon_tui.tui.session import sim_session

    attrs = Attrs(update_us=1_000_000, min_nr_regions=args.regions,
                  max_nr_regions=max(args.regions, 10))
    session = sim_session(args.workload, attrs=attrs)
    speed = 0.0 if args.speed == "max" else float(args.speed)
    app = DamonApp(session, speed=speed, autostart=True)

    frame_costs: list[float] = []
    frame_start: dict[str, float] = {}
    orig = Heatmap.render_line

    def timed(self, y):
        if y == 0:
            frame_start["t"] = time.perf_counter()
        strip = orig(self, y)
        if y == self.size.height - 1 and "t" in frame_start:
            frame_costs.append(time.perf_counter() - frame_start.pop("t"))
        return strip

    Heatmap.render_line = timed
    stalls: list[float] = []
    busy: list[float] = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause(1.5)  # warm up: first snapshots, layout, first panel updates
        frame_costs.clear()
        n0 = app.feed.count
        t0 = time.perf_counter()
        end = t0 + args.seconds
        while time.perf_counter() < end:
            s, c = time.perf_counter(), time.thread_time()
            await asyncio.sleep(0.005)
            stalls.append(time.perf_counter() - s - 0.005)
            busy.append(time.thread_time() - c)
        elapsed = time.perf_counter() - t0
        n1 = app.feed.count
        regions = app.feed.nr_regions
        cpu = app.source.cpu_fraction
        app.source.stop()
    Heatmap.render_line = orig
    costs = sorted(frame_costs)
    fps = len(costs) / elapsed
    p95 = costs[int(0.95 * (len(costs) - 1))] if costs else 0.0
    mean = sum(costs) / len(costs) if costs else 0.0
    print(f"# bench/tui.py: {size[0]}x{size[1]}, {args.workload}, {regions} regions, "
          f"speed {args.speed}, {elapsed:.1f} s")
    print(f"heatmap frames/s      {fps:8.1f}   (target >= 10)")
    print(f"heatmap frame cost    mean {mean * 1e3:.2f} ms, p95 {p95 * 1e3:.2f} ms, "
          f"max {max(costs, default=0) * 1e3:.2f} ms")
    print(f"longest UI stall      {max(stalls, default=0) * 1e3:8.1f} ms (target <= 50); "
          f"p99 {sorted(stalls)[int(0.99 * (len(stalls) - 1))] * 1e3:.1f} ms")
    print(f"longest UI busy burst {max(busy, default=0) * 1e3:8.1f} ms (UI-thread CPU between "
          "two probe wake-ups; the rest of a stall is waiting for the GIL or a core)")
    print(f"engine snapshots/s    {(n1 - n0) / elapsed:8.1f}   (worker thread CPU "
          f"{cpu * 100:.0f}% of a core)")
    print(f"fps / target          {fps / 10:8.2f}x")


if __name__ == "__main__":
    main()
