"""Reports over decoded records: damo's heatmap and working-set-size, raw and info.

The heavy loops (binning, WSS, the heatmap guide) run in ``damon_tui._fast.binning``.
"""
