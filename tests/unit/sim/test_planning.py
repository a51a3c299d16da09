"""Staffing by the M/M/c (Erlang C) queue: known textbook values and the fewest windows."""

import math

import pytest

from sim.planning import erlang_c, fewest_windows, mean_wait_minutes, plan, table


def test_erlang_c_matches_the_textbook_values():
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: the probability of waiting is the load
    assert erlang_c(3, 2) == pytest.approx(4 / 9)
    assert erlang_c(2, 0) == 0.0


def test_one_window_waits_as_the_m_m_1_formula_says():
    # λ = 30/h, 1 min service: ρ = 0.5, Wq = ρ / (μ − λ) = 0.5 / 30 h = 1 min
    assert mean_wait_minutes(1, 30, 1) == pytest.approx(1.0)


def test_windows_that_cannot_keep_up_wait_for_ever():
    assert mean_wait_minutes(2, 60, 2) == math.inf  # 2 Erlangs on 2 windows


def test_the_fewest_windows_keep_the_mean_wait_under_the_target_and_one_less_does_not():
    windows = fewest_windows(40, 8, 5)
    assert mean_wait_minutes(windows, 40, 8) <= 5 < mean_wait_minutes(windows - 1, 40, 8)


def test_a_stricter_target_needs_more_windows():
    assert fewest_windows(60, 12, 1) > fewest_windows(60, 12, 15)


def test_the_table_has_a_row_per_category_with_its_windows():
    rows = table([plan("A", 40, 8, 15), plan("B", 10, 12, 15)], 15).splitlines()
    assert rows[2].split()[:4] == ["A", "40.0", "8.0", str(fewest_windows(40, 8, 15))]
    assert rows[3].split()[0] == "B"
