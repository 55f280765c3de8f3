"""The Textual app (``damon-tui tui``): live heatmap, working set, regions, schemes."""
