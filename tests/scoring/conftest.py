"""Fixtures shared by the scoring tests."""

from tests.scoring.test_cycle_2025 import review_2025  # noqa: F401 - for other modules
from tests.scoring.test_review import review  # noqa: F401 - the review fixture, for other modules
