"""The explicit command registry: every command module is registered, none dropped."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

from damon_tui import cli, commands


def test_every_command_module_is_registered():
    modules = {info.name for info in pkgutil.iter_modules(commands.__path__)}
    registered = {path.rsplit(".", 1)[1] for path in cli.COMMANDS.values()}
    assert modules == registered


def test_help_lists_every_registered_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_a_registered_module_that_fails_to_import_is_an_error(monkeypatch):
    monkeypatch.setitem(cli.COMMANDS, "ghost", "damon_tui.commands.no_such_module")
    with pytest.raises(ModuleNotFoundError):
        cli.build_parser()


def test_a_module_whose_name_differs_from_its_registration_is_an_error(monkeypatch):
    monkeypatch.setitem(cli.COMMANDS, "ghost", "damon_tui.commands.doctor")
    with pytest.raises(RuntimeError, match="registered as 'ghost'"):
        cli.build_parser()


def test_a_named_command_loads_only_its_module(shared_dir):
    """``damon-tui report ...`` builds only report's parser: the other commands'
    modules (and the monitor options they import) stay unloaded."""
    path = shared_dir / "damo-records" / "damon.data.json_compressed"
    code = ("import sys; from damon_tui.cli import main; "
            f"rc = main(['report', 'info', {str(path)!r}]); "
            "print(rc, sorted(m for m in sys.modules if m.startswith('damon_tui.commands.')"
            " or m == 'damon_tui.options.kernel'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()[-1]
    assert out == "0 ['damon_tui.commands.report']"
