"""A text field that keeps the order of keys typed in a burst."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

#: keys that edit the text or move in it; others (up, down, enter, pageup...) stay for
#: the screen's bindings (the target picker moves its list with up / down)
EDIT_KEYS = frozenset({
    "backspace", "delete", "left", "right", "home", "end", "ctrl+a", "ctrl+e", "ctrl+k",
    "ctrl+u", "ctrl+w", "ctrl+d", "ctrl+left", "ctrl+right", "ctrl+backspace",
    "alt+backspace", "shift+left", "shift+right", "shift+home", "shift+end",
    "ctrl+shift+left", "ctrl+shift+right",
})


class OrderedInput(Input):
    """An ``Input`` that runs its own key bindings when the key arrives.

    Textual lets a key that is not printable (backspace, delete, arrows, home, end,
    enter) bubble up to the app, which runs the field's binding later; printable keys
    behind it in the same burst are inserted first (``BSpace BSpace Y BSpace 4 K``
    typed fast gave ``8Y``).  Here the field's own bindings run in key order.
    """

    async def _on_key(self, event: events.Key) -> None:
        if event.key in EDIT_KEYS:
            bindings = self._bindings.key_to_bindings.get(event.key)
            if bindings:
                event.stop()
                event.prevent_default()
                await self.run_action(bindings[0].action)
                return
        await super()._on_key(event)
