"""DAMON's feedback loop (``damon_feed_loop_next_input``), shared by the engine's
intervals auto-tuning and DAMOS quota goals; integer maths as in the kernel."""

from __future__ import annotations

from damon_tui.units import ULONG_MAX

__all__ = ["feed"]


def feed(last_input: int, score: int) -> int:
    """``damon_feed_loop_next_input``: next tuning input for a goal score (goal 10000)."""
    goal = 10000
    min_input = 10000
    if score == goal:
        return last_input
    if score >= goal * 2:
        return min_input
    over = score > goal
    diff = score - goal if over else goal - score
    if last_input < ULONG_MAX // diff:
        comp = last_input * diff // goal
    else:
        comp = last_input // goal * diff
    if over:
        return max(last_input - comp, min_input)
    if last_input < ULONG_MAX - comp:
        return last_input + comp
    return ULONG_MAX
