"""Fuzzing the intake API from its own OpenAPI document: no input may cause a server error."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from config.wsgi import application
from surveys.models import Submission

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def open_limits(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 0}
    # Calls go straight to the WSGI app, inside the test's transaction: keep its connection
    # open between requests, as Django's own test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_no_input_causes_a_server_error(case, mini_questionnaire, open_limits):
    response = case.call()
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == ["application/json"]
    # Schema-valid requests may still be refused for their content (an answer outside the
    # scale, an unknown province): that is 400/404, not a failure; every other check holds.
    case.validate_response(response, excluded_checks=[positive_data_acceptance])


def _with(literal: str, question: str = "N01") -> bytes:
    """A valid submission with one answer written as the given JSON text."""
    answers = {"U01": 1, "Q01": 5, "Q02": 4, "Q03": 9, "Z01": [1, 3], "N01": 2, "T01": "Tốt"}
    body = {"submission_id": "fuzz-1", "questionnaire": "mini-citizens", "province": "74",
            "answers": {**answers, question: "@"}}
    return json.dumps(body).replace('"@"', literal).encode()


# Bodies that once crashed the API or slipped past it (issue 12, items 14 and 16), sent on
# every run whatever the fuzzer happens to generate.
MALICIOUS = {
    "nested 100k lists": b"[" * 100_000 + b"]" * 100_000,
    "nested 30k objects": b'{"a":' * 30_000 + b"1" + b"}" * 30_000,
    "nested in an answer": _with("[" * 50 + "1" + "]" * 50, "Z01"),
    "surrogate in id": _with("1").replace(b'"fuzz-1"', b'"\\ud800"'),
    "surrogate in province": _with("1").replace(b'"74"', b'"\\ud800"'),
    "surrogate in questionnaire": _with("1").replace(b'"mini-citizens"', b'"\\udbff"'),
    "surrogate in token": _with("1").replace(b"{", b'{"token": "\\ud800", ', 1),
    "surrogate in code": _with("1").replace(b"{", b'{"code": "\\udc00", ', 1),
    "surrogate in a text answer": _with('"T\\u1ed1t \\ud83d"', "T01"),
    "surrogate in a question code": _with("1").replace(b'"N01"', b'"\\ud800"'),
    "CESU-8 surrogate bytes": _with('"x"').replace(b'"x"', b'"\xed\xa0\x80"'),
    "5000-digit integer": _with("9" * 5000),
    "5000-digit duration": _with("1").replace(b"{", b'{"duration_seconds": ' + b"1" * 5000
                                             + b", ", 1),
    "1e400": _with("1e400"),
    "NaN": _with("NaN"),
    "Infinity": _with("-Infinity"),
    "duplicate field": _with("1").replace(b'"province": "74"',
                                         b'"province": "74", "province": "01"'),
    "duplicate answer": _with("1").replace(b'"Q01": 5', b'"Q01": 5, "Q01": 4'),
    "not JSON": b"{\"submission_id\": ",
}


@pytest.mark.parametrize("body", MALICIOUS.values(), ids=MALICIOUS.keys())
def test_malicious_bodies_are_refused_as_documented(body, mini_questionnaire, open_limits):
    case = schema["/api/v1/submissions"]["POST"].Case(body=body, media_type="application/json")
    response = case.call()
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == ["application/json"]
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
    assert Submission.objects.count() == 0
