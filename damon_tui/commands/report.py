"""``damon-tui report heatmap|wss|raw|info FILE``: damo's reports on any record format.

A damaged damon-tui record is reported on the snapshots before the damage; the damage
and the number of recovered snapshots are printed as an error and the exit code is 2.
"""

from __future__ import annotations

import argparse
import sys

NAME = "report"
HELP = "report on a record (damon-tui, damo json/json_compressed or perf script): " \
    "heatmap, wss, raw, info, recency, temperature"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="report_kind", metavar="KIND", required=True)

    p = sub.add_parser("heatmap", help="access heatmap: time (rows) x address (columns)",
                       description="damo's heatmap: when which address range was how "
                       "frequently accessed.  Colour on a terminal, plain digits otherwise.")
    p.add_argument("file", metavar="FILE", help="record file (format detected by content)")
    p.add_argument("--output", "-o", metavar="OUT", default="stdout",
                   help="'stdout' (default), 'raw' (time address heat per pixel) or an "
                   "image file FILE.svg")
    p.add_argument("--resol", metavar=("ROWS", "COLS"), type=int, nargs=2,
                   help="time rows and address columns (40 80 on stdout, 250 250 in SVG)")
    p.add_argument("--time-range", "--time_range", metavar="TIME", nargs="+",
                   help="START END [BASE]: times (bare numbers are ns; units ok); BASE is "
                   "'guided', 'guided_end' or a time added to both")
    p.add_argument("--address-range", "--address_range", metavar="ADDR", nargs="+",
                   action="append",
                   help="START END [BASE] (sizes with units ok; BASE 'guided' = the "
                   "guided range start); repeat for several maps")
    p.add_argument("--draw-range", "--draw_range", choices=("hottest", "all"),
                   default="hottest",
                   help="the hottest contiguous address range (default) or each of them")
    p.add_argument("--tid", metavar="ID", type=int,
                   help="target id to draw (default: the target with the largest space)")
    p.add_argument("--colorset", "--stdout-colorset", "--stdout_colorset",
                   choices=("gray", "flame", "emotion"), default="gray",
                   help="colour set (gray)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour on stdout: auto = when it is a terminal (default)")
    p.add_argument("--skip-colorset-example", "--stdout_skip_colorset_example",
                   action="store_true", help="omit the access_frequency footer line")
    p.add_argument("--guide", action="store_true",
                   help="print the contiguous address ranges and time span per target")
    p.add_argument("--abs-time", "--abs_time", action="store_true",
                   help="absolute times in --output raw")
    p.add_argument("--abs-addr", "--abs_addr", action="store_true",
                   help="absolute addresses in --output raw")

    p = sub.add_parser("wss", help="working-set size distribution (damo's report wss)",
                       description="Working-set size percentiles, as damo's report wss.")
    p.add_argument("file", metavar="FILE", help="record file (format detected by content)")
    p.add_argument("--range", "-r", metavar=("START", "END", "STEP"), type=int, nargs=3,
                   default=[0, 101, 25], help="percentiles to print (0 101 25)")
    p.add_argument("--sortby", "-s", choices=("size", "time"), default="size",
                   help="sort working-set sizes by size (default) or keep time order")
    p.add_argument("--acc-thres", "--acc_thres", "-t", metavar="N", type=int, default=1,
                   help="minimum nr_accesses of a working-set region (1)")
    p.add_argument("--sz-thres", "--sz_thres", metavar="SIZE", default="1",
                   help="minimum size of a working-set region (1 B)")
    p.add_argument("--exclude-samples", "--exclude_samples", metavar="N", type=int,
                   default=20, help="first snapshots to leave out (20)")
    p.add_argument("--nr-cols-bar", "--nr_cols_bar", metavar="N", type=int, default=59,
                   help="columns of the bar chart (59; 0 hides it)")
    p.add_argument("--raw-number", "--raw_number", action="store_true",
                   help="plain byte counts")
    p.add_argument("--all-wss", "--all_wss", action="store_true",
                   help="print every value instead of percentiles")
    p.add_argument("--per-target", "--per_target", action="store_true",
                   help="one distribution per target (default: targets collapsed)")

    p = sub.add_parser("raw", help="one line per region per snapshot")
    p.add_argument("file", metavar="FILE", help="record file (format detected by content)")
    p.add_argument("--tid", metavar="ID", type=int, help="only this target id")

    p = sub.add_parser("info", help="header, duration, snapshots, targets and regions")
    p.add_argument("file", metavar="FILE", help="record file (format detected by content)")

    for kind, what, damo_style in (
            ("recency", "how much memory has been idle for how long", "recency-sz-hist"),
            ("temperature", "how much memory is how hot (access rate and age)",
             "temperature-sz-hist")):
        p = sub.add_parser(kind, help=f"size histogram: {what}",
                           description=f"Size histogram of a snapshot: {what}; damo's "
                           f"report access --style {damo_style}, number for number.")
        p.add_argument("file", metavar="FILE", help="record file (format detected by content)")
        p.add_argument("--snapshot", metavar="N|last|all", default="last",
                       help="which snapshot: its index (negative counts from the end), "
                       "'last' (default) or 'all' (one histogram per snapshot, as damo)")
        p.add_argument("--tid", metavar="ID", type=int, help="only this target id")
        p.add_argument("--logscale", "--hist-logscale", "--hist_logscale",
                       action="store_true", help="log scale bins (damo's --hist_logscale)")
        p.add_argument("--cumulate", "--hist-cumulate", "--hist_cumulate",
                       action="store_true",
                       help="cumulative bins from the minimum (damo's --hist_cumulate)")
        p.add_argument("--raw-number", "--raw_number", action="store_true",
                       help="plain numbers")


def load(path: str):
    """Open a record; print what was recovered from damage as warnings on stderr (the
    report still runs on the recovered snapshots; the exit code is then 2)."""
    from damon_tui.record import open_record

    record = open_record(path)
    for w in record.warnings:
        print(f"damon-tui report: warning: {w}", file=sys.stderr)
    return record


def _print_resolution(record) -> None:
    """Say on stderr what the access checks could resolve (stdout stays damo's text)."""
    h = record.header
    resolution = h.get("resolution", "unknown")
    if resolution == "unknown":
        text = "unknown (not stated by this file's format)"
    else:
        check = h.get("access_check")
        text = f"{resolution}" + (f" ({check})" if check else "")
    print(f"# access-check resolution: {text}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from damon_tui.record.stream import is_ours

    kind = args.report_kind
    if is_ours(args.file):
        rc = _run_streaming(args)
        if rc is not None:
            return rc
    record = load(args.file)
    if kind == "heatmap":
        _heatmap(args, record, lambda: _InMemoryHeatmaps(record))
    elif kind == "wss":
        _wss(args, record)
    elif kind == "raw":
        _raw(args, record)
    elif kind in ("recency", "temperature"):
        _sz_hist(args, record)
    else:
        from damon_tui.report.info import report_info

        sys.stdout.write(report_info(record) + "\n")
    if kind in ("heatmap", "wss", "raw", "recency", "temperature"):
        # after the report: an error in it stays the only line on stderr
        _print_resolution(record)
    return 2 if record.warnings else 0


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        print(f"damon-tui report: warning: {w}", file=sys.stderr)


def _run_streaming(args: argparse.Namespace) -> int | None:
    """A report on a damon-tui record read as a stream (bounded memory); None when the
    in-memory report is needed (wss on snapshots shorter than damo's work time)."""
    from damon_tui.record.stream import RecordStream
    from damon_tui.report import streaming

    stream = RecordStream(args.file)
    kind = args.report_kind
    if kind in ("heatmap", "recency", "temperature"):
        # warnings first, report, then the resolution: as the in-memory reports
        if kind == "heatmap":
            maps: list = []

            def streamed():
                maps.append(streaming.heatmap_guides(stream))
                _warn(stream.warnings)
                return maps[0]

            _heatmap(args, stream, streamed)
        else:
            blocks = streaming.sz_histograms(stream, kind, args.snapshot, args.tid,
                                             args.logscale, args.cumulate, args.raw_number)
            _warn(stream.warnings)
            for block in blocks:
                print(block)
        _print_resolution(stream)
        return 2 if stream.warnings else 0
    if kind == "info":
        from damon_tui.report.info import report_info

        record = streaming.summary_record(stream)
        sys.stdout.write(report_info(record) + "\n")
    elif kind == "raw":
        _print_resolution(stream)
        sys.stdout.flush()
        streaming.write_raw(stream, sys.stdout.buffer, args.tid)
        sys.stdout.buffer.flush()
    else:
        from damon_tui.report.wss import combine, format_report

        percentiles, sz_thres = _wss_options(args)
        try:
            values, most = streaming.wss_values(stream, args.acc_thres, sz_thres,
                                                args.exclude_samples)
        except streaming.NeedsWholeRecord:
            return None
        _print_resolution(stream)
        print(format_report(combine(values, args.sortby != "time", not args.per_target),
                            percentiles, args.nr_cols_bar, args.raw_number, args.all_wss))
        _excluded_note(args, most)
    _warn(stream.warnings)
    return 2 if stream.warnings else 0


def _excluded_note(args: argparse.Namespace, most: int) -> None:
    if 0 < most <= args.exclude_samples:
        print(f"# every snapshot ({most}) was left out by --exclude-samples "
              f"{args.exclude_samples} (damo's default is 20); try --exclude-samples 0",
              file=sys.stderr)


def _wss_options(args: argparse.Namespace) -> tuple[range, int]:
    from damon_tui.errors import UserError
    from damon_tui.units import UnitError, parse_size

    start, stop, step = args.range
    if step == 0:
        raise UserError("--range: STEP must not be 0")
    percentiles = range(start, stop, step)
    if not percentiles:
        raise UserError(f"--range {start} {stop} {step}: no percentile in that range")
    if min(percentiles) < 0 or max(percentiles) > 100:
        raise UserError(f"--range {start} {stop} {step}: percentiles must be between 0 and "
                        "100")
    if args.exclude_samples < 0:
        raise UserError(f"--exclude-samples: expected 0 or more, got {args.exclude_samples}")
    if args.nr_cols_bar < 0:
        raise UserError(f"--nr-cols-bar: expected 0 or more, got {args.nr_cols_bar}")
    try:
        sz_thres = parse_size(args.sz_thres, "--sz-thres")
    except UnitError as e:
        raise UserError(str(e)) from None
    return percentiles, sz_thres


def _wss(args: argparse.Namespace, record) -> None:
    from damon_tui.report.wss import report

    percentiles, sz_thres = _wss_options(args)
    print(report(record, percentiles, args.acc_thres, sz_thres,
                 args.exclude_samples, sort=args.sortby != "time",
                 collapse=not args.per_target, nr_cols_bar=args.nr_cols_bar,
                 raw=args.raw_number, all_values=args.all_wss))
    _excluded_note(args, max((t.nr_snapshots for t in record.targets), default=0))


#: --resol limit: the heatmap's cells are held in memory (and drawn one by one in SVG)
MAX_HEATMAP_CELLS = 10_000_000


class _InMemoryHeatmaps:
    """The heatmaps of a record in memory (``streaming.StreamedHeatmaps``' shape)."""

    def __init__(self, record) -> None:
        from damon_tui.report import heatmap as hm

        self.record = record
        self.path = record.path
        self.guides = hm.guides(record)

    def build(self, guide, time_range, addr_ranges, resol) -> list:
        from damon_tui.report import heatmap as hm

        target = self.record.targets[guide.target_index]
        return [hm.build(target, time_range, ar, resol, self.record) for ar in addr_ranges]


def _heatmap(args: argparse.Namespace, record, heatmaps) -> None:
    """``record``: what the report is about (its path); ``heatmaps()``: its guides and
    their maps (read when the options are known to be good)."""
    from damon_tui.errors import UserError
    from damon_tui.report import heatmap as hm

    if args.guide:
        for g in heatmaps().guides:
            print(hm.format_guide(g))
        return
    out = args.output
    svg = out not in ("stdout", "raw")
    if svg and not out.lower().endswith(".svg"):
        raise UserError(f"--output {out}: unsupported picture type (use FILE.svg, "
                        "'stdout' or 'raw')")
    resol = tuple(args.resol) if args.resol else ((250, 250) if svg else (40, 80))
    if resol[0] * resol[1] > MAX_HEATMAP_CELLS:
        raise UserError(f"--resol {resol[0]} {resol[1]}: at most {MAX_HEATMAP_CELLS:,} "
                        "cells (rows x columns)")
    src = heatmaps()
    guide = hm.select_target(src.record, args.tid, src.guides)
    time_range = hm.complete_time_range(args.time_range, guide)
    addr_ranges = hm.complete_address_ranges(args.address_range, args.draw_range, guide)
    maps = src.build(guide, time_range, addr_ranges, resol)
    if svg:
        from damon_tui.report.svg import write_heatmap_svg

        for i, m in enumerate(maps):
            path = out if i == 0 else _numbered(out, i)
            write_heatmap_svg(m, path, args.colorset, title=record.path)
            print(f"# wrote {path}", file=sys.stderr)
        return
    if out == "raw":
        for m in maps:
            print(hm.render_gnuplot_raw(m, args.abs_time, args.abs_addr))
        return
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    for m in maps:
        print(hm.render_text(m, args.colorset, color, not args.skip_colorset_example))


def _numbered(path: str, i: int) -> str:
    head, dot, ext = path.rpartition(".")
    return f"{head}.{i}.{ext}" if dot else f"{path}.{i}"


def _raw(args: argparse.Namespace, record) -> None:
    from damon_tui.report.raw import write_raw

    write_raw(record, sys.stdout, args.tid)


def _sz_hist(args: argparse.Namespace, record) -> None:
    from damon_tui.report.histograms import snapshot_histograms

    for block in snapshot_histograms(record, args.report_kind, args.snapshot, args.tid,
                                     args.logscale, args.cumulate, args.raw_number):
        print(block)
