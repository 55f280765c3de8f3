"""Subcommands of the damon-tui CLI, one module each (see damon_tui.cli)."""
