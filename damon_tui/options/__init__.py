"""Command-line options, parsed in one place.

``targets``: which operations set (``--sim``, ``--pid``, ``--paddr``, ``--regions``,
``-- COMMAND``); ``attrs``: DAMON's monitoring attributes and whether the intervals
follow the measured cost; ``schemes``: DAMOS schemes, presets and profiles;
``monitor``: the ``Monitor`` all of them describe (the commands' composition root).
Layers below (``ops``, the engine, ``damos``) never see argparse.
"""
