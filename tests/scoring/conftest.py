"""Fixtures shared by the scoring tests: the mini indices computed, with staff of every role."""

import pytest

from tests.scoring.helpers import computed_review, computed_review_2025


@pytest.fixture
def review(mini_questionnaire, tmp_path):
    """The mini indices of 2024 computed from the hand-worked data, a paper batch for 74, and a
    user of every role by the role's name ("anonymous" is None)."""
    return computed_review(tmp_path)


@pytest.fixture
def review_2025(review, cycle_2025, tmp_path):
    """`review`, and the 34-unit indices of 2025 computed, with officers of two units."""
    return computed_review_2025(review, tmp_path)
