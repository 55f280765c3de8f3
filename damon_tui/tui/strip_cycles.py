"""Keep Textual's strips out of reference cycles (so the GC never has to free them).

``Strip.divide`` caches its result in the strip itself; when no cut splits the strip
the result is ``[self]``, so every strip the compositor draws whole (a line of a
widget nothing overlaps) holds itself through its cache and becomes cyclic garbage:
600+ strips and 10 000+ objects a second at 40 frames/s, freed only by the cyclic GC
in 10-25 ms pauses that stall the UI.  ``install()`` wraps ``divide`` so that case
returns ``[self]`` without caching it (the cache only spared a one-element list);
every other case is Textual's own code.  Idempotent; a Textual without the cache is
left alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.strip import Strip

_PATCHED = "_damon_tui_no_self_cache"


def install() -> None:
    textual_divide = Strip.divide
    if getattr(textual_divide, _PATCHED, False) or "_divide_cache" not in Strip.__slots__:
        return

    def divide(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
        cell_length = self.cell_length
        cuts = [cut for cut in cuts if cut <= cell_length]
        if cuts == [cell_length]:
            return [self]
        return textual_divide(self, cuts)

    divide.__doc__ = textual_divide.__doc__
    setattr(divide, _PATCHED, True)
    Strip.divide = divide  # type: ignore[method-assign]
