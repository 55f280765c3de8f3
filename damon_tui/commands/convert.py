"""``damon-tui convert IN -o OUT``: between damon-tui records and damo json_compressed."""

from __future__ import annotations

import argparse
import sys

NAME = "convert"
HELP = "convert a record between damon-tui and damo json_compressed (input detected by content)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN",
                        help="record: damon-tui, damo json / json_compressed or perf script")
    parser.add_argument("-o", "--output", metavar="OUT", required=True, help="file to write")
    parser.add_argument("--format", choices=("damon-tui", "damo-json", "damo-json-plain"),
                        default="damon-tui",
                        help="damon-tui (default), damo-json (damo's json_compressed, what "
                        "damo record writes) or damo-json-plain (uncompressed json)")


def run(args: argparse.Namespace) -> int:
    import os

    from damon_tui.errors import UserError
    from damon_tui.record import open_record, write_damo, write_record
    from damon_tui.safe_output import same_file
    from damon_tui.units import format_size

    if (os.path.abspath(args.input) == os.path.abspath(args.output)
            or same_file(args.input, args.output)):
        raise UserError(f"{args.output}: output would overwrite the input")
    record = open_record(args.input)
    for w in record.warnings:
        print(f"damon-tui convert: warning: {w}", file=sys.stderr)
    if args.format == "damon-tui":
        size = write_record(args.output, record).bytes_written
    else:
        size = write_damo(args.output, record, compressed=args.format == "damo-json")
    print(f"# {record.format} -> {args.format}: {record.nr_snapshots} snapshots, "
          f"{record.nr_regions} regions, {format_size(size)} written to {args.output}",
          file=sys.stderr)
    return 2 if record.warnings else 0
