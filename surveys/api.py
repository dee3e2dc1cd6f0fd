"""The JSON intake API for kiosks and partner apps (`POST /api/v1/submissions`).

Same rules as the web form: a client-made submission_id makes a resend
harmless (200 with the first receipt), other answers under the same id are
refused (409), and every refusal names each problem.

The body is read more strictly than `json.loads` alone would: a key given twice,
NaN or Infinity, a number out of range, an integer too long to convert, an
unpaired surrogate and deep nesting are refused with a 400 naming the field,
before anything reaches the database.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from surveys import intake
from surveys.models import Province, Questionnaire, Submission
from surveys.ratelimit import WINDOW_SECONDS, client_id, limited
from surveys.services import earlier_province_note

FIELDS = {"submission_id", "questionnaire", "province", "answers", "token", "code",
          "duration_seconds", "psu", "stratum"}
# A submission is an object of answers whose values are at most lists: three levels.
# The limits leave room while keeping every check below far from Python's recursion limit
# and from its 4,300-digit limit on converting integers; no valid answer needs more.
MAX_DEPTH = 10
MAX_INTEGER_DIGITS = 20
SURROGATE = re.compile("[\ud800-\udfff]")
TOO_DEEP = ("", "too_deep", f"the body is nested more than {MAX_DEPTH} levels deep")
# submission_id is a key of at most this length, and the codes of questionnaires and
# provinces are stored in fields as long.
MAX_FIELD_LENGTH = intake.MAX_KEY_LENGTH


def _errors(status: int, *problems: tuple[str, str, str]) -> JsonResponse:
    return JsonResponse({"errors": [{"field": f, "code": c, "message": m}
                                    for f, c, m in problems]}, status=status)


def _body(request: HttpRequest) -> tuple[dict | None, JsonResponse | None]:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.API_MAX_BODY_BYTES:
        return None, _errors(413, ("", "too_large", f"the body is {length} bytes; the limit is "
                                                    f"{settings.API_MAX_BODY_BYTES}"))
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return None, _errors(415, ("", "unsupported_media_type",
                                   "send the submission as application/json"))
    raw = request.body
    if len(raw) > settings.API_MAX_BODY_BYTES:
        return None, _errors(413, ("", "too_large", f"the body is over "
                                                    f"{settings.API_MAX_BODY_BYTES} bytes"))
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_object,
                          parse_int=_integer, parse_float=_float, parse_constant=_constant)
    except UnicodeDecodeError:
        return None, _errors(400, ("", "malformed", "the body is not UTF-8"))
    except json.JSONDecodeError as exc:
        return None, _errors(400, ("", "malformed", f"the body is not valid JSON: {exc.msg} "
                                                    f"at line {exc.lineno} column {exc.colno}"))
    except RecursionError:
        return None, _errors(400, TOO_DEEP)
    problems = _content_problems(data)
    if problems:
        return None, _errors(400, *problems)
    if not isinstance(data, dict):
        return None, _errors(400, ("", "malformed", "the body must be a JSON object"))
    return data, None


class _Refused:
    """A value JSON allows but the API does not, left in place so its field can be named."""

    def __init__(self, code: str, message: str):
        self.code, self.message = code, message


class _Duplicated(dict):
    """A JSON object in which some keys were given more than once (the last value is kept)."""

    def __init__(self, pairs: list[tuple[str, Any]], duplicates: list[str]):
        super().__init__(pairs)
        self.duplicates = frozenset(duplicates)


def _object(pairs: list[tuple[str, Any]]) -> dict:
    data = dict(pairs)
    if len(data) == len(pairs):
        return data
    counts = Counter(key for key, _ in pairs)
    return _Duplicated(pairs, [key for key, n in counts.items() if n > 1])


def _integer(text: str) -> int | _Refused:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        return _Refused("invalid_number", f"has more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _float(text: str) -> float | _Refused:
    number = float(text)
    if not math.isfinite(number):
        return _Refused("invalid_number", "is too large to be a number")
    return number


def _constant(text: str) -> _Refused:
    return _Refused("invalid_number", f"{text} is not a JSON number")


def _content_problems(data: Any) -> list[tuple[str, str, str]]:
    """What the parsed body holds that the API refuses, by field (a dotted path of keys).

    Walks without recursion, so that a deep body is refused rather than crashing
    the walk; duplicated keys are reported before the values under their object.
    """
    problems = []
    stack = [(data, "", 1)]
    while stack:
        value, field, depth = stack.pop()
        if isinstance(value, _Refused):
            problems.append((field, value.code, value.message))
        elif isinstance(value, str):
            if SURROGATE.search(value):
                problems.append((field, "invalid_unicode",
                                 "is not valid Unicode: it contains an unpaired surrogate"))
        elif isinstance(value, list | dict) and depth > MAX_DEPTH:
            return [TOO_DEEP]
        elif isinstance(value, list):
            stack.extend((item, field, depth + 1) for item in reversed(value))
        elif isinstance(value, dict):
            duplicates: frozenset[str] = getattr(value, "duplicates", frozenset())
            children = []
            for key, item in value.items():
                if SURROGATE.search(key):
                    problems.append((field, "invalid_unicode", "has a key that is not valid "
                                                               "Unicode: it contains an "
                                                               "unpaired surrogate"))
                    continue
                path = f"{field}.{key}" if field else key
                if key in duplicates:
                    problems.append((path, "duplicate_key", "is given more than once"))
                children.append((item, path, depth + 1))
            stack.extend(reversed(children))
    return problems


TOP_LEVEL = {"submission_id", "duration_seconds", "psu", "stratum"}


def _shape_problems(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    problems = []
    for name in sorted(set(data) - FIELDS):
        problems.append((name, "unknown_field", "is not a field of a submission"))
    for name in ("submission_id", "questionnaire", "province"):
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append((name, "required", "is required, as a non-empty string"))
        elif len(value) > MAX_FIELD_LENGTH:
            problems.append((name, "too_long", f"must be at most {MAX_FIELD_LENGTH} characters"))
        elif "\x00" in value:
            problems.append((name, "invalid", "must not contain NUL characters"))
    if not isinstance(data.get("answers"), dict):
        problems.append(("answers", "required", "is required, as an object of question codes"))
    for name in ("token", "code"):
        if name in data and not isinstance(data[name], str):
            problems.append((name, "invalid", "must be a string"))
        elif "\x00" in data.get(name, ""):
            problems.append((name, "invalid", "must not contain NUL characters"))
    return problems


@csrf_exempt
@never_cache
@limited("api", api=True)
def submissions(request: HttpRequest) -> JsonResponse:
    """Accept one submission; 201 new, 200 identical resend, 4xx naming each problem."""
    if request.method != "POST":
        response = _errors(405, ("", "method_not_allowed", "use POST"))
        response["Allow"] = "POST"
        return response
    data, error = _body(request)
    if error is not None:
        return error
    problems = _shape_problems(data)
    if problems:
        return _errors(400, *problems)
    questionnaire, province, codes_required = intake.target_of(data["questionnaire"],
                                                               data["province"])
    if questionnaire is None:
        return _errors(404, ("questionnaire", "not_found", "no such questionnaire"))
    if province is None:
        note = earlier_province_note(questionnaire.province_set, data["province"])
        return _errors(404, ("province", "not_found",
                             note or f"no such province in {questionnaire.code}'s year"))
    invitation = None
    try:
        if data.get("token"):
            invitation = intake.invitation_for(data["token"], client=client_id(request))
        receipt = intake.submit(
            questionnaire=questionnaire, province=province, key=data["submission_id"],
            raw_answers=data["answers"], channel=Submission.Channel.API,
            client=client_id(request),
            code=data.get("code") or None, invitation=invitation,
            duration_seconds=data.get("duration_seconds"),
            psu=data.get("psu"), stratum=data.get("stratum"), codes_required=codes_required)
    except intake.IntakeError as exc:
        return _refusal(exc)
    return _receipt(receipt)


def _receipt(receipt: intake.Receipt) -> JsonResponse:
    body = {"submission_id": receipt.key, "receipt": receipt.receipt,
            "status": "created" if receipt.created else "duplicate"}
    return JsonResponse(body, status=201 if receipt.created else 200)


def _refusal(exc: intake.IntakeError) -> JsonResponse:
    """The errors of a refusal by the intake rules: each carries the refusal's `reason`
    besides its `code`, which several reasons share."""
    if exc.problems:
        problems = [(name if name in TOP_LEVEL else f"answers.{name}", message)
                    for name, message in exc.problems.items()]
    else:
        problems = [(exc.field, exc.message)]
    response = JsonResponse({"errors": [
        {"field": field, "code": exc.code, "message": message, "reason": exc.reason}
        for field, message in problems]}, status=exc.status)
    if exc.status == 429:
        response["Retry-After"] = str(WINDOW_SECONDS)
    return response


OFFLINE_FIELDS = (FIELDS - {"token", "code"}) | {"version", "enumerator"}


def offline_submission(request: HttpRequest, *, province: Province, enumerator: int
                       ) -> JsonResponse:
    """One submission from the offline app, sent by the enumerator `enumerator` (the signed-in
    account) for their `province`: the same body and answers as the API, plus the version
    of the questionnaire it was filled on and the account that filled it.

    A record made by another account on the same device is refused (403, `other_enumerator`)
    and stays in that account's outbox; the caller has already checked the role.
    """
    data, error = _body(request)
    if error is not None:
        return error
    problems = [p for p in _shape_problems(data) if p[1] != "unknown_field"]
    problems += [(name, "unknown_field", "is not a field of a submission")
                 for name in sorted(set(data) - OFFLINE_FIELDS)]
    if not isinstance(data.get("version"), str) or not data["version"]:
        problems.append(("version", "required", "is required, as a non-empty string"))
    if isinstance(data.get("enumerator"), bool) or not isinstance(data.get("enumerator"), int):
        problems.append(("enumerator", "required", "is required, as a whole number"))
    if problems:
        return _errors(400, *problems)
    if data["enumerator"] != enumerator:
        return _errors(403, ("enumerator", "other_enumerator",
                             "this record was made by another account: sign in as that "
                             "account to send it"))
    if data["province"] != province.code:
        return _errors(403, ("province", "not_assigned",
                             "you collect in another province"))
    questionnaire = Questionnaire.objects.filter(
        code=data["questionnaire"], province_set_id=province.province_set_id).first()
    if questionnaire is None:
        return _errors(404, ("questionnaire", "not_found", "no such questionnaire"))
    try:
        receipt = intake.submit(
            questionnaire=questionnaire, province=province, key=data["submission_id"],
            raw_answers=data["answers"], channel=Submission.Channel.OFFLINE,
            client=client_id(request), duration_seconds=data.get("duration_seconds"),
            version=data["version"])
    except intake.IntakeError as exc:
        return _refusal(exc)
    return _receipt(receipt)


def openapi(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 description of the intake API."""
    return JsonResponse(OPENAPI, json_dumps_params={"ensure_ascii": False, "indent": 2})


# Reasons only the offline app's endpoint gives: it sends the questionnaire's version, and
# enumerators collect no officials' questionnaires.
OFFLINE_ONLY = {intake.Reason.VERSION_CHANGED, intake.Reason.OFFICIALS_BY_INVITATION}
API_REASONS = [reason for reason in intake.Reason if reason not in OFFLINE_ONLY]


def _reasons(kind: type[intake.IntakeError]) -> str:
    """The reasons `kind` gives on this endpoint, each with its message, for a description."""
    return ", ".join(f"{reason} ({intake.MESSAGES[reason]})"
                     for reason in API_REASONS if reason in kind.reasons)


ERROR_SCHEMA = {
    "type": "object",
    "required": ["errors"],
    "properties": {"errors": {"type": "array", "items": {
        "type": "object", "required": ["field", "code", "message"],
        "properties": {
            "field": {"type": "string", "description": "e.g. answers.Q12; empty for the body"},
            "code": {"type": "string", "description": "the kind of refusal, shared by several "
                                                      "reasons (e.g. gone)"},
            "message": {"type": "string", "description": "in English, for people: it may be "
                                                         "reworded, so never compare it"},
            "reason": {"type": "string", "enum": API_REASONS,
                       "description": "on refusals by the intake rules, the particular "
                                      "reason (e.g. link_expired under code gone); stable. "
                                      "Absent where code alone says why (a malformed body, "
                                      "an unknown questionnaire or province, too many "
                                      "requests)"},
        }}}},
}
ANSWER_VALUE = {"oneOf": [
    {"type": "integer", "description": "an option value (scale, single_choice)"},
    {"type": "array", "items": {"type": "integer"}, "description": "options (multi_choice)"},
    {"type": "number", "description": "a number question"},
    {"type": "string", "description": "a text question, or a value written as text"},
    {"type": "null", "description": "no answer"},
]}


def _error_response(text: str) -> dict:
    return {"description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}}


OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "PAR Index & SIPAS intake API",
        "version": "1.1.0",
        "description": "Submit one completed questionnaire. A client-made submission_id makes "
                       "a resend harmless: the same answers return the first receipt (200); "
                       "other answers under the same id are refused (409). Each error names "
                       "its field and a code; refusals by the intake rules add a reason, "
                       "which tells apart what one code covers (410 gone: a used or expired "
                       "link, a used code, a closed questionnaire). Version 1.1 added reason "
                       "and left every code as it was.",
    },
    "paths": {"/api/v1/submissions": {"post": {
        "operationId": "createSubmission",
        "summary": "Submit one questionnaire",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Submission"},
            "example": {"submission_id": "3f1c9a52-kiosk-07-000123",
                        "questionnaire": "sipas-2024", "province": "74",
                        "answers": {"A01": 1, "P01": 4, "U01": 2, "Z01": [1, 3]}},
        }}},
        "responses": {
            "201": {"description": "stored",
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Receipt"}}}},
            "200": {"description": "an identical resend: nothing new stored",
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Receipt"}}}},
            "400": _error_response(
                "the body or its answers are refused; each error names its field (a dotted "
                "path such as answers.Q01, empty for the whole body) and one of these codes: "
                "malformed (not UTF-8, not JSON, or not an object), "
                f"too_deep (nested more than {MAX_DEPTH} levels), "
                "duplicate_key (a key given twice in one object), "
                "invalid_number (NaN, Infinity, a number too large to be finite, or an "
                f"integer of more than {MAX_INTEGER_DIGITS} digits), "
                "invalid_unicode (a string or key with an unpaired surrogate), "
                f"unknown_field, required, too_long (over {MAX_FIELD_LENGTH} characters), "
                "invalid (a wrong type or a NUL character), invalid_answers (a value the "
                "questionnaire does not accept). Errors of code invalid_answers carry one of "
                f"these reasons: {_reasons(intake.AnswersInvalid)}"),
            "403": _error_response("a one-time code or invitation token is required or wrong: "
                                   "code access_denied, with one of these reasons: "
                                   f"{_reasons(intake.AccessDenied)}"),
            "404": _error_response("unknown questionnaire, province or token: code not_found; "
                                   "an unknown token also gives a reason: "
                                   f"{_reasons(intake.NotFound)}"),
            "405": _error_response("only POST is allowed"),
            "409": _error_response("the submission_id was already used with other answers: "
                                   f"code conflict, with the reason {_reasons(intake.Conflict)}"),
            "410": _error_response("closed questionnaire, used code, used or expired token: "
                                   "code gone, with one of these reasons: "
                                   f"{_reasons(intake.Gone)}"),
            "429": _error_response("too many requests, wrong codes or unknown tokens from this "
                                   "client; retry after a minute: code rate_limited; wrong "
                                   "codes and unknown tokens also give one of these reasons: "
                                   f"{_reasons(intake.Throttled)}"),
            "413": _error_response("the body is too large"),
            "415": _error_response("the body is not application/json"),
        },
    }}},
    "components": {"schemas": {
        "Submission": {
            "type": "object",
            "required": ["submission_id", "questionnaire", "province", "answers"],
            "additionalProperties": False,
            "properties": {
                "submission_id": {"type": "string", "minLength": 1,
                                  "maxLength": MAX_FIELD_LENGTH,
                                  "description": "made by the client when the form is first "
                                                 "shown, e.g. a UUID"},
                "questionnaire": {"type": "string", "minLength": 1,
                                  "maxLength": MAX_FIELD_LENGTH,
                                  "example": "sipas-2024"},
                "province": {"type": "string", "minLength": 1, "maxLength": MAX_FIELD_LENGTH,
                             "description": "GSO code", "example": "74"},
                "answers": {"type": "object", "additionalProperties": ANSWER_VALUE,
                            "description": "question code → value"},
                "token": {"type": "string", "description": "an official's invitation token"},
                "code": {"type": "string", "description": "a citizen's one-time code"},
                "duration_seconds": {"type": "integer", "minimum": 0,
                                     "maximum": intake.MAX_DURATION_SECONDS,
                                     "description": "seconds from opening the form to "
                                                    "submitting it, for data-quality checks "
                                                    "(at most "
                                                    f"{intake.MAX_DURATION_SECONDS // 86400} "
                                                    "days)"},
                "psu": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$",
                        "description": "primary sampling unit the respondent was drawn in "
                                       "(e.g. a commune code); required where the "
                                       "questionnaire's sampling_units is required, refused "
                                       "where it is none", "example": "26734"},
                "stratum": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$",
                            "description": "the sampling stratum of the unit (e.g. urban, "
                                           "rural)", "example": "rural"},
            },
        },
        "Receipt": {
            "type": "object",
            "required": ["submission_id", "receipt", "status"],
            "properties": {
                "submission_id": {"type": "string"},
                "receipt": {"type": "string", "example": "K7QMD-3XH9A"},
                "status": {"type": "string", "enum": ["created", "duplicate"]},
            },
        },
        "Errors": ERROR_SCHEMA,
    }},
}
