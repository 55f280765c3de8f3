"""Prioritisation scores, the feedback loop and the min_score histogram (§3.3, §3.6)."""

from damon_tui.damos.quota import (
    DAMOS_MAX_SCORE,
    cold_score,
    feed,
    goals_score,
    hot_score,
    min_score_for,
    score_kind,
)
from damon_tui.damos.scheme import Weights


def test_hot_and_cold_score_match_the_worked_example_with_equal_weights():
    w = Weights(0, 1, 1)
    assert hot_score(10, 50, 20, 100_000, w) == 51
    assert cold_score(10, 50, 20, 100_000, w) == 48


def test_reclaim_weights_give_cold_score_61_for_an_idle_region_aged_1200():
    w = Weights(0, 0, 1)
    assert hot_score(0, 1200, 20, 100_000, w) == 38
    assert cold_score(0, 1200, 20, 100_000, w) == 61


def test_size_weight_is_ignored_like_the_kernel():
    assert hot_score(10, 50, 20, 100_000, Weights(1000, 1, 1)) == 51


def test_zero_weights_score_is_unweighted_sum():
    # no weights: h = 0 -> 0
    assert hot_score(20, 5000, 20, 100_000, Weights(0, 0, 0)) == 0


def test_older_idle_regions_are_colder():
    w = Weights(0, 0, 1)
    scores = [cold_score(0, age, 20, 100_000, w) for age in (10, 100, 1000, 10000)]
    assert scores == sorted(scores)
    assert scores[0] < scores[-1]


def test_scores_stay_in_range():
    w = Weights(0, 1000, 1000)
    for acc in (0, 1, 20, 10**6):
        for age in (0, 1, 10**9):
            assert 0 <= hot_score(acc, age, 20, 100_000, w) <= DAMOS_MAX_SCORE


def test_feed_loop_kunit_vector():
    last = 900000
    assert feed(last, 200) > last
    assert feed(last, 250_000_000) < last
    assert feed(last, 200) > feed(last, 2000)


def test_feed_returns_last_on_goal_and_min_when_far_over():
    assert feed(123456, 10000) == 123456
    assert feed(123456, 20000) == 10000
    assert feed(10000, 15000) == 10000  # never below the minimum input


def test_feed_under_goal_at_most_doubles():
    assert feed(10000, 0) == 20000
    assert feed(20000, 5000) == 30000


def test_goals_score_takes_the_least_aggressive_goal():
    assert goals_score([(5000, 10000), (3000, 1000)]) == 30000
    assert goals_score([(0, 0)]) == 0


def test_min_score_covers_the_quota_from_the_highest_score_down():
    hist = [0] * 100
    hist[90] = 4096
    hist[50] = 8192
    hist[10] = 4096
    assert min_score_for(hist, 4096) == 90
    assert min_score_for(hist, 8192) == 50
    assert min_score_for(hist, 1 << 30) == 0
    assert min_score_for([0] * 100, 4096) == 0


def test_score_kind_follows_the_ops():
    assert score_kind("paddr", "lru_prio") == "hot"
    assert score_kind("sim", "lru_deprio") == "cold"
    assert score_kind("vaddr", "lru_prio") == "max"
    assert score_kind("vaddr", "pageout") == "cold"
    assert score_kind("vaddr", "willneed") == "max"
