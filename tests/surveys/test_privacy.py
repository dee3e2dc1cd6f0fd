"""Anonymity: nothing stored or shown joins a code, an invitation or a browser to answers."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client

from surveys.intake import generate_codes, issue_invitations
from surveys.models import AccessCode, Draft, Invitation, Province, Submission

SURVEY = "/s/mini-citizens/74/"
ANSWERS = {"U01": 1, "Q01": 4, "Q02": 5}


def api(client, body, address="10.0.0.1"):
    return client.post("/api/v1/submissions", body, content_type="application/json",
                       REMOTE_ADDR=address)


def stored(model) -> dict[int, dict]:
    return {row["id"]: row for row in model.objects.order_by("pk").values()}


def xmin(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_stored_field_orders_or_times_a_code_or_invitation_near_its_submission(
        mini_questionnaire, mini_officials):
    province = Province.objects.get(province_set=mini_questionnaire.province_set, code="74")
    codes = generate_codes(questionnaire=mini_questionnaire, province=province, count=3)
    tokens = issue_invitations(questionnaire=mini_officials, province=province, count=2)
    official = Client()
    official.post(f"/i/{tokens[1]}/", {"submission_id": "draft-key", "action": "next",
                                       "U01": "2", "Q01": "4"})
    assert Draft.objects.count() == 1
    codes_before, invitations_before = stored(AccessCode), stored(Invitation)
    # the last code first: the order of use must be recorded nowhere
    for i, code in ((1, codes[2]), (2, codes[0])):
        assert api(Client(), {"submission_id": f"citizen-{i}", "questionnaire": "mini-citizens",
                              "province": "74", "answers": ANSWERS, "code": code}
                   ).status_code == 201
    assert official.post(f"/i/{tokens[1]}/", {"submission_id": "draft-key",
                                              "action": "submit", "Q03": "5"}
                         ).status_code == 302
    submissions = list(Submission.objects.order_by("pk"))
    assert len(submissions) == 3 and not Draft.objects.exists()

    # Spending a code or an invitation changes one boolean, nothing else.
    after_codes, after_invitations = stored(AccessCode), stored(Invitation)
    for before, after in ((codes_before, after_codes),
                          (invitations_before, after_invitations)):
        for pk, row in after.items():
            assert {k: v for k, v in row.items() if k != "used"} == \
                {k: v for k, v in before[pk].items() if k != "used"}
    assert [r["used"] for r in after_codes.values()] == [True, False, True]
    assert [r["used"] for r in after_invitations.values()] == [False, True]

    # No time kept about a code or invitation lies within a minute of any submission.
    moments = [t for s in submissions for t in (s.submitted_at, s.received_at) if t]
    for row in [*after_codes.values(), *after_invitations.values()]:
        for value in row.values():
            if isinstance(value, datetime):
                assert all(abs(value - m) > timedelta(minutes=1) for m in moments) or \
                    value < min(moments)  # made before anything was answered
    # A code or link issued for a sampling unit keeps that unit (psu, stratum), as many
    # codes of the unit do: it tells no more than the submission's own unit.
    for row in [*after_codes.values(), *after_invitations.values()]:
        assert set(row) == {"id", "questionnaire_id", "province_id", "created_at", "used",
                            "psu", "stratum",
                            *(("code_hash",) if "code_hash" in row else
                              ("token_hash", "expires_at"))}

    if connection.vendor == "postgresql":
        # Not even the database's own transaction ids: each spend is its own transaction.
        spent = [pk for pk, r in after_codes.items() if r["used"]]
        citizens = [s.pk for s in submissions if s.key.startswith("citizen")]
        code_xids = {xmin(AccessCode._meta.db_table, pk) for pk in spent}
        invitation_xid = xmin(Invitation._meta.db_table,
                              next(pk for pk, r in after_invitations.items() if r["used"]))
        submission_xids = {xmin(Submission._meta.db_table, pk) for pk in citizens}
        answer_xids = {xid for (xid,) in connection.cursor().execute(
            "SELECT xmin::text FROM surveys_answer").fetchall()}
        assert not (code_xids | {invitation_xid}) & (submission_xids | answer_xids)


def test_a_submission_id_sent_from_another_browser_reveals_no_receipt(client,
                                                                      mini_questionnaire):
    assert api(client, {"submission_id": "guessable-1", "questionnaire": "mini-citizens",
                        "province": "74", "answers": ANSWERS}).status_code == 201
    receipt = Submission.objects.get().receipt
    stranger = Client()
    stranger.get(SURVEY)
    page = stranger.post(SURVEY, {"submission_id": "guessable-1", "action": "next",
                                  "U01": "2", "Q01": "4", "Q02": "5"})
    assert page.status_code == 302 and page.url == SURVEY  # just the stranger's own survey
    assert receipt not in stranger.get(SURVEY).content.decode()
    assert stranger.get("/r/").status_code == 404


def test_a_used_invitation_reveals_no_receipt_to_another_browser(mini_officials):
    province = Province.objects.get(province_set=mini_officials.province_set, code="74")
    [token] = issue_invitations(questionnaire=mini_officials, province=province, count=1)
    official = Client()
    official.post(f"/i/{token}/", {"submission_id": "k-1", "action": "next", "U01": "2",
                                   "Q01": "4"})
    official.post(f"/i/{token}/", {"submission_id": "k-1", "action": "submit", "Q03": "5"})
    receipt = Submission.objects.get().receipt
    stranger = Client()
    resend = stranger.post(f"/i/{token}/", {"submission_id": "k-1", "action": "submit",
                                            "Q03": "5"})
    assert resend.status_code == 410 and receipt not in resend.content.decode()
    assert official.post(f"/i/{token}/", {"submission_id": "k-1", "action": "submit",
                                          "Q03": "5"}).url == "/r/"


def test_wrong_codes_are_counted_together_on_the_web_and_the_api(mini_questionnaire,
                                                                 settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "code": 3, "api": 0, "survey": 0}
    province = Province.objects.get(province_set=mini_questionnaire.province_set, code="74")
    [right] = generate_codes(questionnaire=mini_questionnaire, province=province, count=1)
    web = Client()
    assert [web.post(SURVEY, {"code": f"AAAAA-AAAA{i}"}, REMOTE_ADDR="10.0.0.1").status_code
            for i in range(2)] == [400, 400]
    body = {"submission_id": "k", "questionnaire": "mini-citizens", "province": "74",
            "answers": ANSWERS}
    wrong = api(Client(), {**body, "code": "BBBBB-BBBBB"})
    assert (wrong.status_code, wrong.json()["errors"][0]["code"]) == (403, "access_denied")
    refused = api(Client(), {**body, "code": right})
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert refused.json() == {"errors": [{"field": "code", "code": "rate_limited",
                                          "message": "too many wrong codes; try again in a "
                                                     "minute",
                                          "reason": "too_many_wrong_codes"}]}
    page = web.post(SURVEY, {"code": right}, REMOTE_ADDR="10.0.0.1")
    assert page.status_code == 429 and "Vui lòng đợi một phút" in page.content.decode()
    assert api(Client(), {**body, "code": right}, address="10.0.0.2").status_code == 201
    assert not AccessCode.objects.filter(used=False).exists()


def test_unknown_invitation_links_are_throttled_per_client(mini_officials, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "token": 2, "survey": 0}
    province = Province.objects.get(province_set=mini_officials.province_set, code="74")
    [token] = issue_invitations(questionnaire=mini_officials, province=province, count=1)
    guesser = Client(REMOTE_ADDR="10.0.0.7")
    assert [guesser.get(f"/i/guess-{i}/").status_code for i in range(2)] == [404, 404]
    refused = guesser.get(f"/i/{token}/")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "Vui lòng đợi một phút" in refused.content.decode()
    assert Client(REMOTE_ADDR="10.0.0.8").get(f"/i/{token}/").status_code == 200
    assert not Invitation.objects.filter(used=True).exists()
