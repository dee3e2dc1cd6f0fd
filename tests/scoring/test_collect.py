"""The offline collection app's server side: the enumerator role, its questionnaires as JSON,
and submissions from the app's outbox through the one intake path (channel `offline`)."""

import json
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scoring import collect_urls
from scoring.models import Role, StaffRole
from scoring.services.quality import median_duration
from scoring.services.roles import set_staff_role
from surveys.intake import generate_codes
from surveys.models import AccessCode, Answer, Province, Questionnaire, Submission
from tests.helpers import PASSWORD, make_user
from tests.scoring.helpers import MATRIX as STAFF_MATRIX

ANSWERS = {"U01": 1, "Q01": 5, "Q02": 4, "Q03": 9, "Z01": [1, 3], "N01": "2.5", "T01": "Tốt"}
SUBMIT = "/collect/api/submissions"


@pytest.fixture
def people(mini_questionnaire):
    p74, p01 = Province.objects.get(code="74"), Province.objects.get(code="01")
    return {
        "anonymous": None,
        "no_role": make_user("plain"),
        "officer74": make_user("officer74", Role.PROVINCE_OFFICER, p74),
        "reviewer": make_user("reviewer", Role.REVIEWER),
        "administrator": make_user("administrator", Role.ADMINISTRATOR),
        "enumerator74": make_user("enumerator74", Role.ENUMERATOR, p74),
        "enumerator01": make_user("enumerator01", Role.ENUMERATOR, p01),
    }


def record(people, who="enumerator74", **changes):
    questionnaire = Questionnaire.objects.get(code="mini-citizens")
    return {"submission_id": "0b7c3c2e-1d7e-4f7a-9d55-3c1f0f0e0a01",
            "questionnaire": "mini-citizens", "version": questionnaire.checksum,
            "province": "74", "answers": dict(ANSWERS), "duration_seconds": 312,
            "enumerator": people[who].pk, **changes}


def send(client, body):
    return client.post(SUBMIT, data=json.dumps(body), content_type="application/json")


def signed_in(client, people, who):
    client.logout()
    if people[who] is not None:
        client.force_login(people[who])
    return client


# url name -> (method, expected status by role); the page, worker and manifest hold no
# one's data, so anyone may load them; the two API calls are an enumerator's only.
MATRIX = {
    "app": ("get", {"anonymous": 200, "no_role": 200, "officer74": 200, "reviewer": 200,
                    "enumerator74": 200}),
    "service-worker": ("get", {"anonymous": 200, "enumerator74": 200}),
    "manifest": ("get", {"anonymous": 200, "enumerator74": 200}),
    "assignments": ("get", {"anonymous": 401, "no_role": 403, "officer74": 403,
                            "reviewer": 403, "administrator": 403, "enumerator74": 200,
                            "enumerator01": 200}),
    "submissions": ("post", {"anonymous": 401, "no_role": 403, "officer74": 403,
                             "reviewer": 403, "administrator": 403, "enumerator74": 201,
                             "enumerator01": 403}),
}


def test_the_matrix_covers_every_collection_url():
    assert set(MATRIX) == {p.name for p in collect_urls.urlpatterns}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_collection_permission_matrix(people, client, name):
    method, expected = MATRIX[name]
    for role, status in expected.items():
        signed_in(client, people, role)
        if method == "post":
            response = send(client, record(people, role if role.startswith("enum") else
                                           "enumerator74"))
        else:
            response = client.get(reverse(f"collect:{name}"))
        assert response.status_code == status, role
        if name in ("assignments", "submissions") and status in (401, 403):
            code = {401: "not_signed_in", 403: "not_an_enumerator"}[status]
            if role == "enumerator01":
                code = "not_assigned"
            assert response.json()["errors"][0]["code"] == code, role
    assert Submission.objects.count() == (1 if name == "submissions" else 0)


def test_an_enumerator_lands_in_the_app_after_signing_in(people, client):
    response = client.post(reverse("login"), {"username": "enumerator74",
                                              "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/collect/"


@pytest.mark.parametrize("name", sorted(STAFF_MATRIX))
def test_no_staff_url_admits_an_enumerator(people, client, name):
    """The role check comes before anything is looked up, so no data is needed here."""
    client.force_login(people["enumerator74"])
    for args, method, _ in STAFF_MATRIX[name]:
        args = [1 if a in ("SUBMISSION", "RECOMPUTE", "BATCH") else a for a in args]
        response = getattr(client, method)(reverse(f"scoring:{name}", args=args))
        assert response.status_code == 403, (name, method)


def test_an_enumerator_needs_a_province(people):
    account = make_user("new")
    with pytest.raises(ValueError, match="the role enumerator needs a province"):
        set_staff_role(account=account, role=Role.ENUMERATOR, province=None, by=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffRole.objects.create(user=account, role=Role.ENUMERATOR, province=None)


def test_assignments_give_the_open_citizen_questionnaires_whole(people, client, mini_officials,
                                                               django_assert_max_num_queries):
    client.force_login(people["enumerator74"])
    data = client.get(reverse("collect:assignments")).json()
    questionnaire = Questionnaire.objects.get(code="mini-citizens")
    assert data["enumerator"] == {"id": people["enumerator74"].pk, "username": "enumerator74"}
    assert data["province"] == {"code": "74", "name": {"vi": "Tỉnh Bình Dương",
                                                      "en": "Binh Duong"}}
    assert len(data["csrf_token"]) == 64 and len(data["session"]) == 16
    assert [q["code"] for q in data["questionnaires"]] == ["mini-citizens"]  # no officials
    document = data["questionnaires"][0]
    assert document["version"] == questionnaire.checksum and len(document["version"]) == 64
    assert document["title"] == {"vi": "Khảo sát thử", "en": "Trial survey"}
    assert [s["code"] for s in document["sections"]] == ["A", "B"]
    questions = {q["code"]: q for s in document["sections"] for q in s["questions"]}
    assert list(questions) == ["U01", "Q01", "Q02", "Q03", "Z01", "N01", "T01"]
    assert questions["Q02"]["show_if"] == {"question": "U01", "values": [1]}
    assert questions["Q02"]["required"] is True and questions["Q03"]["required"] is False
    assert [(o["value"], o["substantive"]) for o in questions["Q01"]["options"]] == [
        (1, True), (2, True), (3, True), (4, True), (5, True), (9, False)]
    assert questions["Q01"]["options"][0]["label"] == {"vi": "Rất không hài lòng",
                                                       "en": "Very dissatisfied"}
    assert (questions["N01"]["min"], questions["N01"]["max"]) == ("0", "20")
    assert questions["T01"]["max_length"] == 500
    assert questions["U01"]["type"] == "single_choice" and questions["Z01"]["type"] == (
        "multi_choice")
    response = client.get(reverse("collect:assignments"))
    assert "no-store" in response["Cache-Control"]
    from surveys.selectors import questionnaire_document

    with django_assert_max_num_queries(3):
        questionnaire_document(questionnaire)


def test_closed_questionnaires_are_not_assigned(people, client):
    Questionnaire.objects.filter(code="mini-citizens").update(
        closes_at=timezone.now() - timedelta(minutes=1))
    client.force_login(people["enumerator74"])
    assert client.get(reverse("collect:assignments")).json()["questionnaires"] == []


def test_a_record_is_stored_once_with_channel_offline_and_its_device_duration(people, client):
    client.force_login(people["enumerator74"])
    first = send(client, record(people))
    assert first.status_code == 201
    receipt = first.json()["receipt"]
    again = send(client, record(people))  # the first acknowledgement was lost
    assert again.status_code == 200
    assert again.json() == {"submission_id": "0b7c3c2e-1d7e-4f7a-9d55-3c1f0f0e0a01",
                            "receipt": receipt, "status": "duplicate"}
    stored = Submission.objects.get()
    assert (stored.channel, stored.province.code, stored.duration_seconds, stored.receipt) == (
        "offline", "74", 312, receipt)
    assert Answer.objects.filter(submission=stored).count() == 8
    assert median_duration(stored.questionnaire) == 312  # the speeder check reads it


@pytest.mark.parametrize(("changes", "status", "error"), [
    ({"answers": {**ANSWERS, "Q01": 7}}, 400,
     ("answers.Q01", "invalid_answers", "7 is not one of the options (1, 2, 3, 4, 5, 9)",
      "answers_invalid")),
    ({"answers": {"U01": 2, "Q01": 5, "Q02": 4}}, 400,
     ("answers.Q02", "invalid_answers", "is not asked when U01 is not one of 1",
      "answers_invalid")),
    ({"version": "0" * 64}, 409,
     ("version", "version_changed",
      "this questionnaire was changed after these answers were given", "version_changed")),
    ({"province": "01"}, 403, ("province", "not_assigned", "you collect in another province")),
    ({"questionnaire": "nope"}, 404, ("questionnaire", "not_found", "no such questionnaire")),
    ({"token": "x"}, 400, ("token", "unknown_field", "is not a field of a submission")),
    ({"duration_seconds": -1}, 400,
     ("duration_seconds", "invalid_answers", "must be a whole number from 0 to 604800",
      "duration_invalid")),
])
def test_refused_records_say_why_and_store_nothing(people, client, changes, status, error):
    client.force_login(people["enumerator74"])
    response = send(client, record(people, **changes))
    assert response.status_code == status
    # refusals by the intake rules carry a reason too; the endpoint's own checks do not
    keys = ("field", "code", "message", "reason")[:len(error)]
    assert response.json() == {"errors": [dict(zip(keys, error, strict=True))]}
    assert Submission.objects.count() == 0


def test_version_and_enumerator_are_required(people, client):
    client.force_login(people["enumerator74"])
    body = record(people)
    del body["version"], body["enumerator"]
    response = send(client, body)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "version", "code": "required", "message": "is required, as a non-empty string"},
        {"field": "enumerator", "code": "required", "message": "is required, as a whole number"}]


def test_a_closed_questionnaire_refuses_new_records_but_acknowledges_a_resend(people, client):
    client.force_login(people["enumerator74"])
    assert send(client, record(people)).status_code == 201
    Questionnaire.objects.filter(code="mini-citizens").update(is_open=False)
    assert send(client, record(people)).status_code == 200
    late = send(client, record(people, submission_id="late-1"))
    assert late.status_code == 410
    assert late.json()["errors"] == [{"field": "questionnaire", "code": "gone",
                                      "message": "this questionnaire is closed",
                                      "reason": "questionnaire_closed"}]
    assert Submission.objects.count() == 1


def test_a_record_of_another_enumerator_waits_for_them(people, client):
    client.force_login(people["enumerator74"])
    other = make_user("enumerator74b", Role.ENUMERATOR, Province.objects.get(code="74"))
    response = send(client, record(people, enumerator=other.pk))
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "other_enumerator"
    assert Submission.objects.count() == 0


def test_an_enumerator_spends_no_citizen_code(people, client, mini_questionnaire):
    generate_codes(questionnaire=mini_questionnaire, province=Province.objects.get(code="74"),
                   count=2)
    client.force_login(people["enumerator74"])
    assert send(client, record(people)).status_code == 201
    assert AccessCode.objects.filter(used=True).count() == 0


def test_official_questionnaires_are_not_collected_by_enumerators(people, client,
                                                                 mini_officials):
    client.force_login(people["enumerator74"])
    response = send(client, record(people, questionnaire="mini-officials",
                                   version=mini_officials.checksum))
    assert response.status_code == 403
    assert response.json()["errors"][0] == {
        "field": "questionnaire", "code": "access_denied",
        "message": "officials answer by invitation, not through an enumerator",
        "reason": "officials_by_invitation"}


def test_the_outbox_sends_with_the_csrf_token_from_its_assignments(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["enumerator74"])
    assert send(client, record(people)).status_code == 403  # no token: refused
    token = client.get(reverse("collect:assignments")).json()["csrf_token"]
    response = client.post(SUBMIT, data=json.dumps(record(people)),
                           content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


def test_the_worker_covers_the_app_and_caches_this_version(people, client, settings):
    settings.COLLECT_APP_VERSION = "2026.11-a"
    response = client.get("/collect/sw.js")
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/collect/"
    body = response.content.decode()
    assert body.splitlines()[1] == 'var VERSION = "2026.11-a";'
    precache = json.loads(body.split("var PRECACHE = ", 1)[1].split(";\n", 1)[0])
    assert precache == ["/collect/", "/collect/manifest.webmanifest",
                        "/static/collect/store.js?v=2026.11-a",
                        "/static/collect/form.js?v=2026.11-a",
                        "/static/collect/app.js?v=2026.11-a",
                        "/static/collect/collect.css?v=2026.11-a",
                        "/static/collect/icon.svg?v=2026.11-a",
                        "/static/collect/icon-192.png?v=2026.11-a",
                        "/static/collect/icon-512.png?v=2026.11-a",
                        "/static/bootstrap/css/bootstrap.min.css", "/static/site.css"]
    page = client.get("/collect/").content.decode()
    for script in ("store.js", "form.js", "app.js"):
        assert f'<script src="/static/collect/{script}?v=2026.11-a"></script>' in page
    assert "<script>" not in page  # nothing inline: the page passes the CSP
    manifest = client.get("/collect/manifest.webmanifest").json()
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/collect/", "/collect/", "standalone")


def test_the_version_follows_the_app_files(settings):
    from scoring.collect import _files_version, app_version

    settings.COLLECT_APP_VERSION = ""
    assert app_version() == _files_version() and len(app_version()) == 12


def test_the_app_page_reads_as_vietnamese_and_in_english(people, client):
    from tests.vietnamese import english_or_codes

    page = client.get("/collect/")
    assert "script-src 'self'" in page["Content-Security-Policy"]
    html = page.content.decode()
    assert english_or_codes(html) == []
    assert "Thu thập phiếu khảo sát ngoại tuyến" in html
    texts = json.loads(html.split('<script id="collect-texts" type="application/json">')[1]
                       .split("</script>")[0])
    assert texts["problem_required"] == "Cần có câu trả lời."
    client.post("/i18n/setlang/", {"language": "en", "next": "/collect/"})
    english = client.get("/collect/").content.decode()
    assert "Offline survey collection" in english and "Cần có câu trả lời." not in english
