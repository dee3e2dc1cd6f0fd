"""Background folding is bounded: a task folds a few batches and hands the rest on."""

from datetime import UTC, datetime

import pytest

from scoring.services import results, tallies
from scoring.tasks import fold_submissions_task, sweep_uncounted_task
from surveys.models import Province, Submission
from surveys.services import NewSubmission, record_submissions


@pytest.fixture
def seven_uncounted(mini_questionnaire):
    province = Province.objects.get(province_set=mini_questionnaire.province_set, code="74")
    record_submissions(questionnaire=mini_questionnaire, channel="import", submissions=[
        NewSubmission(key=f"k{i}", province=province, submitted_at=datetime(2024, 9, 1, tzinfo=UTC),
                      answers={"U01": 2, "Q01": 1 + i % 5}) for i in range(7)])
    # the test transaction never commits, so no fold was queued: all seven wait
    assert Submission.objects.filter(counted_at__isnull=True).count() == 7


def uncounted():
    return Submission.objects.filter(counted_at__isnull=True).count()


def test_fold_pending_stops_after_its_batches_and_says_more_are_left(seven_uncounted):
    first = tallies.fold_pending(batch=2, batches=2)
    assert (first.submissions, first.more, uncounted()) == (4, True, 3)
    second = tallies.fold_pending(batch=2, batches=2)  # 2 + 1: nothing left after its batches
    assert (second.submissions, second.more, uncounted()) == (3, False, 0)
    assert tallies.fold_pending(batch=2, batches=2) == tallies.Folded(0, {}, False)


def test_without_a_bound_everything_is_folded(seven_uncounted):
    folded = tallies.fold_pending(batch=2)  # manage.py sweep_submissions: all of them
    assert (folded.submissions, folded.more, uncounted()) == (7, False, 0)


def test_a_sweep_task_hands_the_rest_to_the_next_task(seven_uncounted, monkeypatch):
    monkeypatch.setattr(tallies, "SWEEP_BATCH", 2)
    monkeypatch.setattr(tallies, "TASK_BATCHES", 1)
    per_task = []
    sweep = results.sweep

    def counting(**kwargs):
        folded = sweep(**kwargs)
        per_task.append(folded.submissions)
        return folded

    monkeypatch.setattr(results, "sweep", counting)
    sweep_uncounted_task.delay()  # in-process here: each continuation runs at once
    assert per_task == [2, 2, 2, 1]
    assert uncounted() == 0


def test_a_fold_task_folds_its_own_and_a_bounded_share_of_the_rest(seven_uncounted,
                                                                   monkeypatch):
    monkeypatch.setattr(tallies, "SWEEP_BATCH", 2)
    monkeypatch.setattr(tallies, "TASK_BATCHES", 1)
    continued = []
    monkeypatch.setattr(sweep_uncounted_task, "delay", lambda: continued.append(uncounted()))
    first = Submission.objects.order_by("pk").first()
    assert fold_submissions_task.delay([first.pk]).get() == 3  # its own, then one batch of 2
    assert continued == [4]  # four left, for the sweep task it queued
