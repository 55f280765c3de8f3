"""Workloads shipped with damon-tui, written in masim's config format (one .cfg each)."""
