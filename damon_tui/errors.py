"""Errors a user can fix. The CLI prints them in one line and exits with code 2."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or an unavailable capability, described in one plain sentence.

    Name the file, line and field where they are known, e.g.
    ``UserError("zigzag.cfg:12: probability: expected an integer, got 'x'")``.
    """


def located(path: object, line: int | None, field: str | None, message: str) -> UserError:
    """Build a ``UserError`` with the ``file:line: field: message`` layout."""
    where = str(path)
    if line is not None:
        where += f":{line}"
    if field:
        return UserError(f"{where}: {field}: {message}")
    return UserError(f"{where}: {message}")
