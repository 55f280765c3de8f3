"""A fixed-size text widget whose text changes without a layout pass."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

_KEEP = object()


def set_border(widget: Widget, title: str | None | object = _KEEP,
               subtitle: str | None | object = _KEEP) -> None:
    """Set ``widget``'s border title and/or subtitle when they change.

    Textual repaints the whole widget (a panel and its border) on every assignment, the
    same text or not; panels updated a few times a second call this instead."""
    shown = widget.__dict__.setdefault("_damon_border", {})
    for name, value in (("border_title", title), ("border_subtitle", subtitle)):
        if value is not _KEEP and shown.get(name, _KEEP) != value:
            shown[name] = value
            setattr(widget, name, value)


class TextBox(Widget):
    """A fixed-size text widget: changing its text repaints it without a layout pass."""

    DEFAULT_CSS = """
    TextBox { height: 1; }
    """

    def __init__(self, text: Text | str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._text = Text(text) if isinstance(text, str) else text
        self._lines = 1

    def set_text(self, text: Text | str, fit_height: bool = False) -> None:
        """Show ``text``; ``fit_height`` resizes to its line count (a layout only then)."""
        text = Text(text) if isinstance(text, str) else text
        if text == self._text:
            return
        self._text = text
        if fit_height:  # for ``height: auto`` boxes: a layout pass only when lines change
            width = self.content_size.width
            if width > 0 and self.is_mounted:
                lines = len(text.wrap(self.app.console, width)) or 1
            else:
                lines = len(text.plain.splitlines()) or 1
            if lines != self._lines:
                self._lines = lines
                self.refresh(layout=True)
                return
        self.refresh()

    @property
    def text(self) -> Text:
        return self._text

    def render(self) -> Text:
        return self._text
