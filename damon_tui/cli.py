"""The ``damon-tui`` command line: one small module per subcommand.

Every subcommand is a module of ``damon_tui.commands`` named in ``COMMANDS`` below; it
defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.  Heavy
imports belong inside ``run`` so that ``damon-tui --help`` stays fast.  The registry is
explicit: a module that fails to import is an error, never a silently missing command.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from types import ModuleType

from damon_tui import __version__
from damon_tui.errors import UserError
from damon_tui.units import UnitError

#: every subcommand, in the order ``--help`` lists them: name -> module
COMMANDS: dict[str, str] = {
    "tui": "damon_tui.commands.tui",
    "monitor": "damon_tui.commands.monitor",
    "record": "damon_tui.commands.record",
    "report": "damon_tui.commands.report",
    "convert": "damon_tui.commands.convert",
    "whatif": "damon_tui.commands.whatif",
    "export": "damon_tui.commands.export",
    "status": "damon_tui.commands.status",
    "commit": "damon_tui.commands.commit",
    "stop": "damon_tui.commands.stop",
    "preset": "damon_tui.commands.preset",
    "workload": "damon_tui.commands.workload",
    "workloads": "damon_tui.commands.workloads",
    "doctor": "damon_tui.commands.doctor",
}

#: the subcommand run when none is given
DEFAULT_COMMAND = "tui"


def _command_modules(only: str | None = None) -> dict[str, ModuleType]:
    modules = {}
    for name, path in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(path)
        if getattr(module, "NAME", None) != name:
            raise RuntimeError(f"{path} defines NAME={getattr(module, 'NAME', None)!r}, "
                               f"registered as {name!r}")
        modules[name] = module
    return modules


def build_parser(only: str | None = None) -> tuple[argparse.ArgumentParser, dict]:
    """The parser of every subcommand, or of ``only`` (a command named on the command
    line: the other modules, and what their options import, are not loaded; a
    ``report`` starts in half the time)."""
    parser = argparse.ArgumentParser(
        prog="damon-tui",
        description="DAMON and DAMOS in user space: monitor data accesses of simulated "
        "workloads, processes and physical memory; record, report and act on them.",
    )
    parser.add_argument("--version", action="version", version=f"damon-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = _command_modules(only)
    for name, module in modules.items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
    return parser, modules


class _CheckedOutput:
    """``sys.stdout`` (and its binary ``buffer``) whose write errors (a full disk,
    ``> /dev/full``) are a ``UserError`` naming stdout instead of a traceback."""

    def __init__(self, stream) -> None:
        self._stream = stream

    @property
    def buffer(self) -> _CheckedOutput:
        """The binary stream under stdout (``report raw`` writes bytes), checked alike."""
        return _CheckedOutput(self._stream.buffer)

    def write(self, text: str | bytes) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise UserError(f"standard output: cannot write: {e.strerror}") from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            raise UserError(f"standard output: cannot write: {e.strerror}") from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    real = sys.stdout
    sys.stdout = _CheckedOutput(real)
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except UserError as e:  # only stdout's own write errors reach here
        print(f"damon-tui: error: {e}", file=sys.stderr)
        _silence_stdout()
        return 2
    finally:
        sys.stdout = real


def _main(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = [DEFAULT_COMMAND, *argv]
    parser, modules = build_parser(argv[0] if argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    # lets a command tell "-- COMMAND" from a stray word argparse's REMAINDER swallowed
    args.argv_after_dashdash = argv[argv.index("--") + 1:] if "--" in argv else []
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(modules[args.command].run(args) or 0)
    except (UserError, UnitError) as e:
        print(f"damon-tui {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
