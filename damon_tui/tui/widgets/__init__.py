"""The monitor screen's panels: each owns ``update(view)`` and draws a ``MonitorView``."""
