"""Fixtures shared by the scoring tests."""

from tests.scoring.test_review import review  # noqa: F401 - the review fixture, for other modules
