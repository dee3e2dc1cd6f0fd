"""Refusals of the intake path: one reason each, its message, and the limits they state."""

import pytest

from surveys import intake
from surveys.models import Province, Submission

ANSWERS = {"U01": 2, "Q01": 3}


def submit(questionnaire, **changes):
    arguments = {"questionnaire": questionnaire, "province": Province.objects.get(code="74"),
                 "key": "k-1", "raw_answers": ANSWERS, "channel": Submission.Channel.WEB,
                 "client": "test", **changes}
    return intake.submit(**arguments)


def test_a_key_of_64_characters_is_taken_and_one_of_65_refused(mini_questionnaire):
    assert submit(mini_questionnaire, key="k" * 64).created
    with pytest.raises(intake.AnswersInvalid) as refused:
        submit(mini_questionnaire, key="k" * 65)
    assert (refused.value.message, refused.value.problems) == (
        "submission_id must be 1 to 64 characters",
        {"submission_id": "must be 1 to 64 characters"})
    assert Submission.objects.count() == 1


def test_a_week_is_the_longest_completion_time_taken(mini_questionnaire):
    assert submit(mini_questionnaire, duration_seconds=604800).created
    with pytest.raises(intake.AnswersInvalid) as refused:
        submit(mini_questionnaire, key="k-2", duration_seconds=604801)
    assert (refused.value.message, refused.value.problems) == (
        "duration_seconds must be a whole number from 0 to 604800",
        {"duration_seconds": "must be a whole number from 0 to 604800"})
    assert Submission.objects.count() == 1
