"""``damon-tui doctor``: what this machine lets damon-tui do (read only)."""

from __future__ import annotations

import argparse

NAME = "doctor"
HELP = ("show capabilities: root, page idle tracking, process_madvise, swap, THP, the "
        "kernel's DAMON, and which operations sets can run here at what resolution")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--plain", action="store_true",
                        help="one 'name: yes/no - detail' line per row instead of a table")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from damon_tui import capabilities

    caps = capabilities.detect(args.root)
    rows = [*caps.checks, *caps.ops]
    if args.plain:
        for check in rows:
            print(check.line())
        return 0
    table = Table(title="damon-tui doctor" + ("" if caps.root == "/" else f" (root {caps.root})"),
                  show_lines=False)
    table.add_column("capability", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("detail")
    for i, check in enumerate(rows):
        mark = "[green]yes[/]" if check.ok else "[red]no[/]"
        table.add_row(check.label, mark, check.detail,
                      end_section=i == len(caps.checks) - 1)
    Console().print(table)
    return 0
