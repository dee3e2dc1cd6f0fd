"""The database unreachable: a clear 503 page or API error, and nothing half-written."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import OperationalError, connection

from surveys.models import Answer, Submission

PROBE = """
import json, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
django.setup()
from django.test import Client
c = Client()
page = c.get("/s/sipas-2025/79/")
api = c.post("/api/v1/submissions", data=json.dumps({"submission_id": "x",
             "questionnaire": "sipas-2025", "province": "79", "answers": {}}),
             content_type="application/json")
print(json.dumps({"page": page.status_code, "page_text": page.content.decode(),
                  "api": api.status_code, "api_body": api.json(),
                  "retry": api.headers.get("Retry-After")}))
"""


def test_unreachable_postgresql_gives_503_page_and_api_error():
    env = {**os.environ, "DATABASE_URL": "postgres://root@127.0.0.1:1/test",
           "PYTHONPATH": str(settings.BASE_DIR)}
    env.pop("CELERY_BROKER_URL", None)
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["page"] == 503 and "Hệ thống tạm thời gián đoạn" in out["page_text"]
    assert out["api"] == 503 and out["retry"] == "30"
    assert out["api_body"]["errors"][0]["code"] == "unavailable"


def test_a_connection_lost_mid_write_leaves_no_half_written_submission(
        client, mini_questionnaire):
    """The connection drops when the answers are to be written: on SQLite after the
    submission's row in the same transaction, on PostgreSQL in the one statement that
    writes both. Either way nothing of the submission is kept."""
    sent = []

    def lost(execute, sql, params, many, context):
        if "INSERT INTO surveys_answer" in sql or 'INSERT INTO "surveys_answer"' in sql:
            sent.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(lost):
        response = client.post("/api/v1/submissions", data=json.dumps({
            "submission_id": "k1", "questionnaire": "mini-citizens", "province": "74",
            "answers": {"U01": 2, "Q01": 4}}), content_type="application/json")
    assert len(sent) == 1
    assert response.status_code == 503
    assert (Submission.objects.count(), Answer.objects.count()) == (0, 0)


@pytest.mark.parametrize("path", ["/", "/review/"])
def test_pages_still_work_normally(client, db, path):
    assert client.get(path).status_code in (200, 302)
