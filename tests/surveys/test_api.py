"""The JSON intake API: status codes, receipts, idempotency, and nothing written on refusal."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.intake import generate_codes, issue_invitations
from surveys.models import AccessCode, Answer, Invitation, Province, Questionnaire, Submission

URL = "/api/v1/submissions"
ANSWERS = {"U01": 1, "Q01": 5, "Q02": 4, "Q03": 9, "Z01": [1, 3], "N01": 2, "T01": "Tốt"}


def post(client, body, **extra):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **extra)


def payload(**changes):
    return {"submission_id": "kiosk-7-0001", "questionnaire": "mini-citizens",
            "province": "74", "answers": dict(ANSWERS), **changes}


def counts():
    return (Submission.objects.count(), Answer.objects.count())


def test_created_then_identical_resend_returns_the_same_receipt(client, mini_questionnaire):
    first = post(client, payload())
    assert first.status_code == 201
    body = first.json()
    assert body["submission_id"] == "kiosk-7-0001" and body["status"] == "created"
    assert len(body["receipt"]) == 11
    again = post(client, payload(answers={**ANSWERS, "Z01": [3, 1]}))  # same set, other order
    assert again.status_code == 200
    assert again.json() == {**body, "status": "duplicate"}
    assert counts() == (1, 8)
    stored = Submission.objects.get()
    assert (stored.channel, stored.province.code, stored.receipt) == ("api", "74",
                                                                      body["receipt"])


def test_same_id_with_other_answers_is_refused(client, mini_questionnaire):
    assert post(client, payload()).status_code == 201
    response = post(client, payload(answers={**ANSWERS, "Q01": 4}))
    assert response.status_code == 409
    assert response.json() == {"errors": [{
        "field": "submission_id", "code": "conflict",
        "message": "this submission_id was already used with other answers",
        "reason": "submission_id_reused"}]}
    assert counts() == (1, 8)


@pytest.mark.parametrize(("body", "status", "errors"), [
    (b"{not json", 400, [("", "malformed",
                          "the body is not valid JSON: Expecting property name enclosed in "
                          "double quotes at line 1 column 2")]),
    ("[1, 2]", 400, [("", "malformed", "the body must be a JSON object")]),
    (payload(submission_id=""), 400,
     [("submission_id", "required", "is required, as a non-empty string")]),
    (payload(submission_id="x" * 65), 400,
     [("submission_id", "too_long", "must be at most 64 characters")]),
    (payload(answers=[1]), 400,
     [("answers", "required", "is required, as an object of question codes")]),
    (payload(extra=1), 400, [("extra", "unknown_field", "is not a field of a submission")]),
    (payload(answers={**ANSWERS, "Q01": 6}), 400,
     [("answers.Q01", "invalid_answers", "6 is not one of the options (1, 2, 3, 4, 5, 9)")]),
    (payload(answers={**ANSWERS, "Q01": True}), 400,
     [("answers.Q01", "invalid_answers", "True is not an option")]),
    (payload(answers={**ANSWERS, "Q99": 1}), 400,
     [("answers.Q99", "invalid_answers", "mini-citizens has no question 'Q99'")]),
    (payload(answers={"U01": 2, "Q02": 4}), 400,
     [("answers.Q01", "invalid_answers", "an answer is required"),
      ("answers.Q02", "invalid_answers", "is not asked when U01 is not one of 1")]),
    (payload(answers={**ANSWERS, "N01": "lots"}), 400,
     [("answers.N01", "invalid_answers", "'lots' is not a number")]),
    (payload(answers={**ANSWERS, "T01": "x" * 501}), 400,
     [("answers.T01", "invalid_answers", "is 501 characters long; the limit is 500")]),
    (payload(questionnaire="sipas-1999"), 404,
     [("questionnaire", "not_found", "no such questionnaire")]),
    (payload(province="99"), 404,
     [("province", "not_found", "no such province in mini-citizens's year")]),
    (payload(questionnaire="\x00", code="a\x00"), 400,
     [("questionnaire", "invalid", "must not contain NUL characters"),
      ("code", "invalid", "must not contain NUL characters")]),
], ids=["broken json", "not an object", "empty id", "long id", "answers not an object",
        "unknown field", "out of scale", "boolean", "unknown question", "required and hidden",
        "not a number", "text too long", "unknown questionnaire", "wrong province", "NUL"])
def test_malformed_payloads_are_refused_and_write_nothing(client, mini_questionnaire, body,
                                                          status, errors):
    response = post(client, body)
    assert response.status_code == status
    assert [(e["field"], e["code"], e["message"]) for e in response.json()["errors"]] == errors
    assert counts() == (0, 0)


def with_answer(code, literal, **changes):
    """The payload as JSON text, with one answer written as the given JSON literal."""
    return json.dumps(payload(answers={**ANSWERS, code: "@"}, **changes)).replace('"@"', literal)


def nested(depth):
    return "[" * depth + "1" + "]" * depth


SURROGATE = "is not valid Unicode: it contains an unpaired surrogate"
TOO_LARGE = "is too large to be a number"
SURROGATE_KEY = "has a key that is not valid Unicode: it contains an unpaired surrogate"
TOO_DEEP = "the body is nested more than 10 levels deep"


@pytest.mark.parametrize(("body", "errors"), [
    ("[" * 100_000 + "]" * 100_000, [("", "too_deep", TOO_DEEP)]),
    ('{"a":' * 30_000 + "1" + "}" * 30_000, [("", "too_deep", TOO_DEEP)]),
    (with_answer("Z01", nested(9)), [("", "too_deep", TOO_DEEP)]),
    (json.dumps(payload(submission_id="kiosk-\ud800")),
     [("submission_id", "invalid_unicode", SURROGATE)]),
    (json.dumps(payload(province="\ud800")), [("province", "invalid_unicode", SURROGATE)]),
    (json.dumps(payload(questionnaire="\udfff")),
     [("questionnaire", "invalid_unicode", SURROGATE)]),
    (json.dumps(payload(token="\ud800")), [("token", "invalid_unicode", SURROGATE)]),
    (json.dumps(payload(code="AB\udc00CD")), [("code", "invalid_unicode", SURROGATE)]),
    (json.dumps(payload(answers={**ANSWERS, "T01": "Tốt \ud83d"})),
     [("answers.T01", "invalid_unicode", SURROGATE)]),
    (json.dumps(payload(answers={**ANSWERS, "Q01\ud800": 5})),
     [("answers", "invalid_unicode", SURROGATE_KEY)]),
    (json.dumps({**payload(), "\ud800": 1}), [("", "invalid_unicode", SURROGATE_KEY)]),
    (with_answer("N01", "9" * 5000),
     [("answers.N01", "invalid_number", "has more than 20 digits")]),
    (json.dumps(payload()).replace("{", '{"duration_seconds": -' + "1" * 5000 + ", ", 1),
     [("duration_seconds", "invalid_number", "has more than 20 digits")]),
    (with_answer("N01", "1e400"), [("answers.N01", "invalid_number", TOO_LARGE)]),
    (with_answer("N01", "-1e400"), [("answers.N01", "invalid_number", TOO_LARGE)]),
    (with_answer("N01", "NaN"), [("answers.N01", "invalid_number", "NaN is not a JSON number")]),
    (with_answer("N01", "Infinity"),
     [("answers.N01", "invalid_number", "Infinity is not a JSON number")]),
    (with_answer("Z01", "[1, -Infinity]"),
     [("answers.Z01", "invalid_number", "-Infinity is not a JSON number")]),
], ids=["nested 100k lists", "nested 30k objects", "nested 11 levels", "surrogate in id",
        "surrogate in province", "surrogate in questionnaire", "surrogate in token",
        "surrogate in code", "surrogate in text answer", "surrogate in question code",
        "surrogate in field name", "5000-digit answer", "5000-digit duration", "1e400",
        "-1e400", "NaN", "Infinity", "-Infinity in a list"])
def test_bodies_json_parses_but_the_api_cannot_store_are_refused(client, mini_questionnaire,
                                                                  body, errors):
    response = post(client, body.encode())
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert [(e["field"], e["code"], e["message"]) for e in response.json()["errors"]] == errors
    assert Submission.objects.count() == 0


@pytest.mark.parametrize(("body", "errors"), [
    (json.dumps(payload()).replace('"province": "74"', '"province": "01", "province": "74"'),
     [("province", "duplicate_key", "is given more than once")]),
    (json.dumps(payload()).replace('"Q01": 5', '"Q01": 5, "Q01": 4'),
     [("answers.Q01", "duplicate_key", "is given more than once")]),
    (json.dumps(payload()).replace('"Q01": 5', '"Q01": 5, "Q01": 5'),
     [("answers.Q01", "duplicate_key", "is given more than once")]),
    (json.dumps(payload()).replace('"answers": {', '"answers": {"N01": NaN, "T01": "a", '),
     [("answers.N01", "duplicate_key", "is given more than once"),
      ("answers.T01", "duplicate_key", "is given more than once")]),
    ('{"a": {"b": 1, "b": 2}, "a": 3}', [("a", "duplicate_key", "is given more than once")]),
], ids=["top level", "an answer", "the same value twice", "two answers", "nested"])
def test_body_with_a_duplicated_key_is_refused(client, mini_questionnaire, body, errors):
    response = post(client, body.encode())
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert [(e["field"], e["code"], e["message"]) for e in response.json()["errors"]] == errors
    assert Submission.objects.count() == 0


def test_values_within_the_limits_reach_the_answer_checks(client, mini_questionnaire):
    """Ten levels and twenty digits are still read, and refused for what they say."""
    response = post(client, with_answer("Z01", nested(8), duration_seconds=10**19))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "duration_seconds", "code": "invalid_answers",
         "message": "must be a whole number from 0 to 604800", "reason": "duration_invalid"}]
    response = post(client, with_answer("Z01", nested(8)))
    assert response.json()["errors"] == [
        {"field": "answers.Z01", "code": "invalid_answers",
         "message": "[[[[[[[1]]]]]]] is not an option value", "reason": "answers_invalid"}]
    response = post(client, with_answer("N01", "1e308"))
    assert response.json()["errors"] == [
        {"field": "answers.N01", "code": "invalid_answers",
         "message": "1E+308 is above the maximum 20", "reason": "answers_invalid"}]
    assert Submission.objects.count() == 0


def test_oversize_body_is_refused_with_413(client, mini_questionnaire, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = post(client, payload(answers={**ANSWERS, "T01": "x" * 2000}))
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "too_large"
    assert counts() == (0, 0)


def test_wrong_content_type_and_method(client, mini_questionnaire):
    response = client.post(URL, data="submission_id=1", content_type="text/plain")
    assert response.status_code == 415
    assert client.get(URL).status_code == 405


def test_closed_questionnaire_is_gone(client, mini_questionnaire):
    mini_questionnaire.closes_at = timezone.now() - timedelta(minutes=1)
    mini_questionnaire.save()
    response = post(client, payload())
    assert response.status_code == 410
    assert response.json()["errors"] == [{"field": "questionnaire", "code": "gone",
                                          "message": "this questionnaire is closed",
                                          "reason": "questionnaire_closed"}]
    assert counts() == (0, 0)


def test_one_time_codes(client, mini_questionnaire):
    province = Province.objects.get(code="74")
    [code] = generate_codes(questionnaire=mini_questionnaire, province=province, count=1)
    missing = post(client, payload())
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (403, "code")
    wrong = post(client, payload(code="AAAAA-AAAAA"))
    assert (wrong.status_code, wrong.json()["errors"][0]["message"]) == (
        403, "this code is not valid for this survey")
    assert post(client, payload(code=code.lower().replace("-", " "))).status_code == 201
    assert AccessCode.objects.get().used
    resend = post(client, payload(code=code))  # the same submission again: harmless
    assert resend.status_code == 200
    reuse = post(client, payload(submission_id="another", code=code))
    assert (reuse.status_code, reuse.json()["errors"][0]["message"]) == (
        410, "this code has already been used")
    assert counts() == (1, 8)


def test_official_needs_a_valid_unused_unexpired_token(client, mini_officials):
    province = Province.objects.get(code="74")
    [token] = issue_invitations(questionnaire=mini_officials, province=province, count=1)
    body = payload(questionnaire="mini-officials")
    assert post(client, body).status_code == 403
    assert post(client, {**body, "token": "nope"}).status_code == 404
    other = post(client, {**body, "province": "01", "token": token})
    assert (other.status_code, other.json()["errors"][0]["message"]) == (
        403, "this link is for another questionnaire or province")
    assert post(client, {**body, "token": token}).status_code == 201
    used = post(client, {**body, "submission_id": "second", "token": token})
    assert (used.status_code, used.json()["errors"][0]["field"]) == (410, "token")
    [late] = issue_invitations(questionnaire=mini_officials, province=province, count=1)
    Invitation.objects.filter(used=False).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    expired = post(client, {**body, "submission_id": "third", "token": late})
    assert (expired.status_code, expired.json()["errors"][0]["message"]) == (
        410, "this link has expired")
    assert Submission.objects.count() == 1


def test_rate_limit_answers_429(client, mini_questionnaire, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 3}
    statuses = [post(client, payload(submission_id=f"s{i}")).status_code for i in range(5)]
    assert statuses == [201, 201, 201, 429, 429]
    assert Submission.objects.count() == 3


def test_openapi_document_validates(client):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").json()
    validate(document)
    assert set(document["paths"]["/api/v1/submissions"]["post"]["responses"]) == {
        "200", "201", "400", "403", "404", "405", "409", "410", "413", "415", "429"}
    refused = document["paths"]["/api/v1/submissions"]["post"]["responses"]["400"]
    for code in ("malformed", "too_deep (nested more than 10 levels)",
                 "duplicate_key (a key given twice in one object)",
                 "invalid_number (NaN, Infinity, a number too large to be finite, or an "
                 "integer of more than 20 digits)",
                 "invalid_unicode (a string or key with an unpaired surrogate)",
                 "unknown_field", "invalid_answers"):
        assert code in refused["description"]


def test_completion_time_is_kept_and_checked(client, mini_questionnaire):
    assert post(client, payload(duration_seconds=312)).status_code == 201
    assert Submission.objects.get().duration_seconds == 312
    for bad in (-1, 604801, "312", 3.5, True):
        response = post(client, payload(submission_id=f"k-{bad}", duration_seconds=bad))
        assert response.status_code == 400, bad
        assert response.json() == {"errors": [{
            "field": "duration_seconds", "code": "invalid_answers",
            "message": "must be a whole number from 0 to 604800",
            "reason": "duration_invalid"}]}
    assert Submission.objects.count() == 1


# --- one reason for each refusal ----------------------------------------------------------------

def official(**changes):
    return payload(questionnaire="mini-officials", **changes)


def link(province="74", *, used=False, expired=False):
    [token] = issue_invitations(questionnaire=Questionnaire.objects.get(code="mini-officials"),
                                province=Province.objects.get(code=province), count=1)
    if expired:
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    if used:
        Invitation.objects.update(used=True)
    return token


def with_codes():
    [code] = generate_codes(questionnaire=Questionnaire.objects.get(code="mini-citizens"),
                            province=Province.objects.get(code="74"), count=1)
    return code


def used_code(client, settings):
    code = with_codes()
    assert post(client, payload(code=code)).status_code == 201
    return payload(submission_id="another", code=code)


def closed(client, settings):
    Questionnaire.objects.filter(code="mini-citizens").update(
        closes_at=timezone.now() - timedelta(minutes=1))
    return payload()


def reused_id(client, settings):
    assert post(client, payload()).status_code == 201
    return payload(answers={**ANSWERS, "Q01": 4})


def wrong_codes(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "code": 1}
    with_codes()
    assert post(client, payload(code="AAAAA-AAAAA")).status_code == 403
    return payload(code="AAAAA-AAAAB")


def unknown_links(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "token": 1}
    assert post(client, official(token="nope")).status_code == 404
    return official(token="nope-again")


# reason: (what leads to it and gives the refused body, status, field, code, message)
REFUSALS = {
    "answers_invalid": (lambda c, s: payload(answers={**ANSWERS, "Q01": 8}), 400,
                        "answers.Q01", "invalid_answers",
                        "8 is not one of the options (1, 2, 3, 4, 5, 9)"),
    "duration_invalid": (lambda c, s: payload(duration_seconds=604801), 400,
                         "duration_seconds", "invalid_answers",
                         "must be a whole number from 0 to 604800"),
    "sampling_invalid": (lambda c, s: payload(psu="26734"), 400,
                         "psu", "invalid_answers", "this questionnaire records no sampling unit"),
    "code_required": (lambda c, s: (with_codes(), payload())[1], 403,
                      "code", "access_denied", "a one-time code is required for this survey"),
    "code_invalid": (lambda c, s: (with_codes(), payload(code="AAAAA-AAAAA"))[1], 403,
                     "code", "access_denied", "this code is not valid for this survey"),
    "token_required": (lambda c, s: official(), 403,
                       "token", "access_denied",
                       "officials answer by invitation: a token is required"),
    "link_for_another_survey": (lambda c, s: official(province="01", token=link()), 403,
                                "token", "access_denied",
                                "this link is for another questionnaire or province"),
    "link_unknown": (lambda c, s: official(token="nope"), 404,
                     "token", "not_found", "this link is not known"),
    "submission_id_reused": (reused_id, 409, "submission_id", "conflict",
                             "this submission_id was already used with other answers"),
    "link_used": (lambda c, s: official(token=link(used=True)), 410,
                  "token", "gone", "this link has already been used to submit the questionnaire"),
    "link_expired": (lambda c, s: official(token=link(expired=True)), 410,
                     "token", "gone", "this link has expired"),
    "code_used": (used_code, 410, "code", "gone", "this code has already been used"),
    "questionnaire_closed": (closed, 410,
                             "questionnaire", "gone", "this questionnaire is closed"),
    "too_many_wrong_codes": (wrong_codes, 429,
                             "code", "rate_limited", "too many wrong codes; try again in a minute"),
    "too_many_unknown_links": (unknown_links, 429, "token", "rate_limited",
                               "too many unknown links; try again in a minute"),
}


@pytest.mark.parametrize("reason", REFUSALS)
def test_each_refusal_gives_its_own_reason_under_the_code_it_always_had(
        client, mini_officials, settings, reason):
    refused, status, field, code, message = REFUSALS[reason]
    body = refused(client, settings)
    before = (counts(), AccessCode.objects.filter(used=True).count(),
              Invitation.objects.filter(used=True).count())
    response = post(client, body)
    assert response.status_code == status
    assert response.json() == {"errors": [
        {"field": field, "code": code, "message": message, "reason": reason}]}
    assert (counts(), AccessCode.objects.filter(used=True).count(),
            Invitation.objects.filter(used=True).count()) == before


def test_the_api_gives_every_reason_but_the_offline_apps_and_one_its_own_checks_catch_first():
    from surveys.api import API_REASONS
    from surveys.intake import Reason

    # the shape check refuses a submission_id over 64 characters first (too_long)
    assert set(API_REASONS) - set(REFUSALS) == {Reason.SUBMISSION_ID_LENGTH}
    assert set(Reason) - set(API_REASONS) == {Reason.VERSION_CHANGED,
                                              Reason.OFFICIALS_BY_INVITATION}


def test_openapi_documents_each_reason_under_its_status(client):
    document = client.get("/api/v1/openapi.json").json()
    responses = document["paths"]["/api/v1/submissions"]["post"]["responses"]
    assert responses["410"]["description"] == (
        "closed questionnaire, used code, used or expired token: code gone, with one of these "
        "reasons: link_used (this link has already been used to submit the questionnaire), "
        "link_expired (this link has expired), code_used (this code has already been used), "
        "questionnaire_closed (this questionnaire is closed)")
    assert responses["403"]["description"] == (
        "a one-time code or invitation token is required or wrong: code access_denied, with "
        "one of these reasons: code_required (a one-time code is required for this survey), "
        "code_invalid (this code is not valid for this survey), token_required (officials "
        "answer by invitation: a token is required), link_for_another_survey (this link is "
        "for another questionnaire or province)")
    assert responses["400"]["description"].endswith(
        "too_long (over 64 characters), invalid (a wrong type or a NUL character), "
        "invalid_answers (a value the questionnaire does not accept). Errors of code "
        "invalid_answers carry one of these reasons: submission_id_length (submission_id must "
        "be 1 to 64 characters), duration_invalid (duration_seconds must be a whole number "
        "from 0 to 604800), answers_invalid (some answers are not valid), sampling_invalid "
        "(the sampling unit or stratum is not valid)")
    error = document["components"]["schemas"]["Errors"]["properties"]["errors"]["items"]
    assert error["required"] == ["field", "code", "message"]  # reason is added, not required
    assert error["properties"]["reason"]["enum"] == [
        "submission_id_length", "duration_invalid", "answers_invalid", "sampling_invalid",
        "code_required", "code_invalid", "token_required", "link_for_another_survey",
        "link_unknown", "submission_id_reused", "link_used", "link_expired", "code_used",
        "questionnaire_closed", "too_many_wrong_codes", "too_many_unknown_links"]


def test_openapi_states_the_limits_the_api_checks(client):
    document = client.get("/api/v1/openapi.json").json()
    submission = document["components"]["schemas"]["Submission"]["properties"]
    assert [submission[name]["maxLength"] for name in
            ("submission_id", "questionnaire", "province")] == [64, 64, 64]
    assert submission["duration_seconds"]["maximum"] == 604800
    assert submission["duration_seconds"]["description"] == (
        "seconds from opening the form to submitting it, for data-quality checks (at most 7 "
        "days)")
    refused = document["paths"]["/api/v1/submissions"]["post"]["responses"]["400"]
    assert "too_long (over 64 characters)" in refused["description"]


def test_a_new_submission_is_two_statements(client, mini_questionnaire, postgres,
                                            django_assert_num_queries):
    """The questionnaire with its province and whether it takes codes, then the submission
    and its answers in one INSERT: no look-up of the key first, no transaction around it."""
    assert post(client, payload(submission_id="warm-up")).status_code == 201  # reads the schema
    with django_assert_num_queries(2) as captured:
        response = post(client, payload())
    assert response.status_code == 201
    assert captured.captured_queries[1]["sql"].lstrip().startswith("WITH s AS (")
    assert counts() == (2, 16)
    with django_assert_num_queries(3):  # the resend: the insert does nothing, then a look-up
        assert post(client, payload()).status_code == 200
    assert counts() == (2, 16)
