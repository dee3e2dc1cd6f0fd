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
