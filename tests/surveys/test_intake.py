"""Refusals of the intake path: one reason each, its message, and the limits they state."""

import pytest

from surveys import intake
from surveys.intake import Reason
from surveys.models import Province, Submission

ANSWERS = {"U01": 2, "Q01": 3}


def test_every_reason_belongs_to_one_kind_of_refusal_and_has_a_message():
    kinds = [kind for reason in Reason for kind in intake.REFUSALS if reason in kind.reasons]
    assert len(kinds) == len(Reason)
    assert set(intake.MESSAGES) == set(Reason)
    assert sorted(intake.Gone.reasons) == [
        "code_used", "link_expired", "link_used", "questionnaire_closed"]


def test_a_refusal_takes_only_a_reason_of_its_kind():
    with pytest.raises(ValueError, match="^link_unknown is not a reason for Gone$"):
        intake.Gone(Reason.LINK_UNKNOWN)
    closed = intake.Gone(Reason.QUESTIONNAIRE_CLOSED, field="questionnaire")
    assert (closed.status, closed.code, closed.reason, closed.message, closed.field) == (
        410, "gone", "questionnaire_closed", "this questionnaire is closed", "questionnaire")


def submit(questionnaire, **changes):
    arguments = {"questionnaire": questionnaire, "province": Province.objects.get(code="74"),
                 "key": "k-1", "raw_answers": ANSWERS, "channel": Submission.Channel.WEB,
                 "client": "test", **changes}
    return intake.submit(**arguments)


def test_a_key_of_64_characters_is_taken_and_one_of_65_refused(mini_questionnaire):
    assert submit(mini_questionnaire, key="k" * 64).created
    with pytest.raises(intake.AnswersInvalid) as refused:
        submit(mini_questionnaire, key="k" * 65)
    assert (refused.value.reason, refused.value.message, refused.value.problems) == (
        "submission_id_length", "submission_id must be 1 to 64 characters",
        {"submission_id": "must be 1 to 64 characters"})
    assert Submission.objects.count() == 1


def test_a_week_is_the_longest_completion_time_taken(mini_questionnaire):
    assert submit(mini_questionnaire, duration_seconds=604800).created
    with pytest.raises(intake.AnswersInvalid) as refused:
        submit(mini_questionnaire, key="k-2", duration_seconds=604801)
    assert (refused.value.reason, refused.value.message, refused.value.problems) == (
        "duration_invalid", "duration_seconds must be a whole number from 0 to 604800",
        {"duration_seconds": "must be a whole number from 0 to 604800"})
    assert Submission.objects.count() == 1
