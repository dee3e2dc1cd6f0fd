"""Parallel intake on PostgreSQL: identical resends store one row, different ones all."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from surveys.models import Answer, Submission

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ANSWERS = {"U01": 1, "Q01": 5, "Q02": 4, "Q03": 2}


def post_many(bodies):
    def one(body):
        try:
            response = Client().post("/api/v1/submissions", data=json.dumps(body),
                                     content_type="application/json")
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, bodies))


def body(key):
    return {"submission_id": key, "questionnaire": "mini-citizens", "province": "74",
            "answers": ANSWERS}


def test_twenty_parallel_identical_posts_store_one(postgres, mini_questionnaire, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 0}
    results = post_many([body("same-id")] * 20)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 19 + [201]
    assert len({b["receipt"] for _, b in results}) == 1
    assert Submission.objects.count() == 1
    assert Answer.objects.count() == 4


def test_twenty_parallel_different_posts_store_twenty(postgres, mini_questionnaire, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 0}
    results = post_many([body(f"id-{i}") for i in range(20)])
    assert [status for status, _ in results] == [201] * 20
    assert Submission.objects.count() == 20
    assert len(set(Submission.objects.values_list("receipt", flat=True))) == 20


def test_two_reviewers_appraising_one_component_at_once(postgres, mini_questionnaire):
    import threading
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from scoring.models import Assessment, AssessmentChange, Index
    from scoring.services.assessments import save_assessments
    from scoring.services.definitions import load_index
    from surveys.models import Province
    from tests.helpers import fixture_text

    load_index(text=fixture_text("mini-par.yaml"))
    index = Index.objects.get(code="mini-par")
    node = index.nodes.get(code="1.1.1")
    province = Province.objects.get(code="74")
    users = [get_user_model().objects.create_user(f"reviewer{i}") for i in (1, 2)]
    start = threading.Barrier(2)

    def appraise(user, value):
        try:
            start.wait()
            save_assessments(index=index, province=province, user=user, via="web", notes={},
                             scores={node.code: {"appraised_score": Decimal(value)}})
        finally:
            connection.close()

    threads = [threading.Thread(target=appraise, args=(u, v))
               for u, v in zip(users, ("1.25", "1.75"), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    history = list(AssessmentChange.objects.order_by("pk").values_list(
        "old_value", "new_value", "changed_by__username"))
    assert len(history) == 2 and history[0][0] is None
    assert history[1][0] == history[0][1]  # the second saw the first's value: nothing lost
    assert Assessment.objects.get().appraised_score == history[1][1]  # the last one in force
    assert {h[2] for h in history} == {"reviewer1", "reviewer2"}
