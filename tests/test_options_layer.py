"""Option parsing lives in ``damon_tui/options``: the layers below never see argparse."""

import ast
from pathlib import Path

import damon_tui

PKG = Path(damon_tui.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_ops_imports_neither_argparse_nor_the_engine_nor_options():
    for path in sorted((PKG / "ops").glob("*.py")):
        bad = {n for n in _imports(path)
               if n == "argparse" or n.startswith(("damon_tui.engine", "damon_tui.options"))}
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_argparse_only_in_cli_commands_and_options():
    allowed = {"cli.py"}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[0] in ("commands", "options") or str(rel) in allowed:
            continue
        assert "argparse" not in _imports(path), f"{rel} imports argparse"


def test_options_read_no_argparse_privates():
    for path in sorted((PKG / "options").glob("*.py")):
        assert "._option_string_actions" not in path.read_text(), path.name
