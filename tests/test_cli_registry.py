"""The explicit command registry: every command module is registered, none dropped."""

from __future__ import annotations

import pkgutil

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
