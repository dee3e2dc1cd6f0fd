"""A corpus of malformed inputs across every way data gets in; each is refused clearly and
no database row count changes."""

import copy
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from scoring.models import Assessment, AssessmentChange, Index, Node
from scoring.services.definitions import load_index
from surveys.intake import generate_codes, issue_invitations
from surveys.models import Answer, Invitation, Province, Question, Questionnaire, Submission
from tests.helpers import dump, fixture_data, fixture_text

MODELS = [Submission, Answer, Questionnaire, Question, Index, Node, Assessment,
          AssessmentChange, Invitation]
GOOD = {"U01": 1, "Q01": 5, "Q02": 4, "Q03": 3}
SUB_HEADER = "submission_id,province_code,submitted_at,U01,Q01,Q02,Q03\n"
ASSESS_HEADER = "province_code,component_code,self_score,appraised_score\n"


@pytest.fixture
def world(mini_officials, settings):
    settings.API_MAX_BODY_BYTES = 4096
    load_index(text=fixture_text("mini-par.yaml"))
    p74, p01 = Province.objects.get(code="74"), Province.objects.get(code="01")
    citizens = Questionnaire.objects.get(code="mini-citizens")
    code = generate_codes(questionnaire=citizens, province=p01, count=1)[0]
    [token] = issue_invitations(questionnaire=mini_officials, province=p74, count=1)
    [spent] = issue_invitations(questionnaire=mini_officials, province=p74, count=1)
    [late] = issue_invitations(questionnaire=mini_officials, province=p74, count=1)
    Invitation.objects.filter(pk=Invitation.objects.order_by("pk").last().pk).update(
        expires_at=timezone.now() - timedelta(days=1))
    client = Client()
    body = {"submission_id": "first", "questionnaire": "mini-officials", "province": "74",
            "answers": GOOD, "token": spent}
    assert client.post("/api/v1/submissions", json.dumps(body),
                       content_type="application/json").status_code == 201
    return {"code": code, "token": token, "spent": spent, "late": late}


def api(raw):
    def run(world, tmp_path):
        body = raw(world) if callable(raw) else raw
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        r = Client().post("/api/v1/submissions", data=data, content_type="application/json")
        return r.status_code, r.content.decode()
    return run


def sub(**changes):
    return lambda w: {"submission_id": "new", "questionnaire": "mini-citizens",
                      "province": "74", "answers": dict(GOOD), **changes}


def web(path, data=None, csrf=False):
    def run(world, tmp_path):
        client = Client(enforce_csrf_checks=csrf)
        url = path(world) if callable(path) else path
        r = client.post(url, data) if data is not None else client.get(url)
        return r.status_code, r.content.decode()
    return run


def command(name, content, *args, filename="in.csv"):
    def run(world, tmp_path):
        path = tmp_path / filename
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        try:
            call_command(name, str(path), *args)
        except CommandError as exc:
            return 1, str(exc)
        return 0, ""
    return run


def subs_csv(body, **kw):
    return command("import_submissions", SUB_HEADER + body if isinstance(body, str) else body,
                   "--questionnaire", "mini-citizens", **kw)


def assess_csv(body):
    return command("import_assessments", ASSESS_HEADER + body, "--index", "mini-par")


def yaml_of(name, mutate):
    data = copy.deepcopy(fixture_data(name))
    mutate(data)
    return dump(data)


def questionnaire_yaml(mutate, raw=None):
    return command("load_questionnaire", raw or yaml_of("mini-citizens.yaml", mutate),
                   filename="q.yaml")


def index_yaml(mutate, raw=None):
    return command("load_index", raw or yaml_of("mini-par.yaml", mutate), filename="i.yaml")


SCRIPT = "<script>alert(1)</script>"
CASES = [
    # JSON API
    ("api: not JSON", api(b"{oops"), 400, "not valid JSON"),
    ("api: not UTF-8", api(b'{"a": "\xff"}'), 400, "not UTF-8"),
    ("api: wrong type for answers", api(sub(answers="all good")), 400, "answers"),
    ("api: value out of range", api(sub(answers={**GOOD, "Q01": 8})), 400, "not one of"),
    ("api: string in a scale", api(sub(answers={**GOOD, "Q01": "five"})), 400, "option value"),
    ("api: float in a scale", api(sub(answers={**GOOD, "Q01": 4.5})), 400, "option value"),
    ("api: unknown question", api(sub(answers={**GOOD, "ZZ": 1})), 400, "has no question"),
    ("api: missing required answer", api(sub(answers={"U01": 1, "Q02": 4})), 400, "required"),
    ("api: answer to a hidden question", api(sub(answers={"U01": 2, "Q01": 3, "Q02": 4})),
     400, "is not asked"),
    ("api: number out of range", api(sub(answers={**GOOD, "N01": 1e9})), 400, "maximum"),
    ("api: text too long", api(sub(answers={**GOOD, "T01": "x" * 600})), 400, "limit is 500"),
    ("api: oversize body", api(sub(answers={**GOOD, "T01": "x" * 5000})), 413, "too_large"),
    ("api: unknown questionnaire", api(sub(questionnaire="pci-2024")), 404, "questionnaire"),
    ("api: script tag as province", api(sub(province=SCRIPT)), 404, "province"),
    ("api: code missing where required", api(sub(province="01")), 403, "code is required"),
    ("api: wrong code", api(sub(province="01", code="AAAAA-BBBBB")), 403, "not valid"),
    ("api: wrong token", api(lambda w: {**sub(questionnaire="mini-officials")(w),
                                        "token": "x" * 32}), 404, "not known"),
    ("api: used token", api(lambda w: {**sub(questionnaire="mini-officials")(w),
                                       "token": w["spent"]}), 410, "already been used"),
    ("api: expired token", api(lambda w: {**sub(questionnaire="mini-officials")(w),
                                          "token": w["late"]}), 410, "expired"),
    ("api: same id, other answers", api(lambda w: {**sub(questionnaire="mini-officials")(w),
                                                   "submission_id": "first",
                                                   "answers": {**GOOD, "Q01": 4},
                                                   "token": w["token"]}), 409, "other answers"),
    ("api: official without token", api(sub(questionnaire="mini-officials")), 403, "token"),
    # web forms
    ("web: unknown questionnaire", web("/s/pci-2024/74/"), 404, ""),
    ("web: script tag in the link", web(f"/s/mini-citizens/{SCRIPT}/"), 404, ""),
    ("web: invalid choice", web("/s/mini-citizens/74/", {"action": "next", "U01": "7",
                                                         "Q01": "5"}), 200, 'id="err-U01"'),
    ("web: missing required", web("/s/mini-citizens/74/", {"action": "next"}), 200,
     'id="err-Q01"'),
    ("web: no CSRF token", web("/s/mini-citizens/74/", {"action": "next", "U01": "2",
                                                        "Q01": "3"}, csrf=True), 403, ""),
    ("web: wrong one-time code", web("/s/mini-citizens/01/", {"code": "ZZZZZ-ZZZZZ"}), 400,
     "code"),
    ("web: used invitation", web(lambda w: f"/i/{w['spent']}/"), 410, ""),
    ("web: expired invitation", web(lambda w: f"/i/{w['late']}/"), 410, ""),
    ("web: unknown invitation", web("/i/not-a-real-token/"), 404, ""),
    # submissions CSV
    ("csv: unknown province", subs_csv("a,99,,1,5,4,3\n"), 1, "1 problem"),
    ("csv: formula as province", subs_csv('a,"=HYPERLINK(""x"")",,1,5,4,3\n'), 1, "1 problem"),
    ("csv: value outside scale", subs_csv("a,74,,1,6,4,3\n"), 1, "1 problem"),
    ("csv: broken encoding", subs_csv(SUB_HEADER.encode() + b"a,74,,1,5,4,\xe9\n"), 1,
     "1 problem"),
    ("csv: unknown column", command("import_submissions",
                                    "submission_id,province_code,submitted_at,BAD\n",
                                    "--questionnaire", "mini-citizens"), 1, "1 problem"),
    ("csv: bad date", subs_csv("a,74,31/12/2024,1,5,4,3\n"), 1, "1 problem"),
    ("csv: NUL bytes", subs_csv(SUB_HEADER.encode() + b"a,74,,1,5,4,\x003\n"), 1,
     "1 problem"),
    ("csv: ragged row", subs_csv("a,74,,1\n"), 1, "1 problem"),
    # assessments CSV
    ("assessments: above max", assess_csv("74,1.1.1,3,\n"), 1, "1 problem"),
    ("assessments: survey component", assess_csv("74,2.1.1,1,\n"), 1, "1 problem"),
    ("assessments: unknown province", assess_csv("00,1.1.1,1,\n"), 1, "1 problem"),
    ("assessments: text score", assess_csv("74,1.1.1,=1+1,\n"), 1, "1 problem"),
    # definition loaders
    ("questionnaire: not YAML", questionnaire_yaml(None, raw="code: [\n"), 1, "1 problem"),
    ("questionnaire: latin-1", questionnaire_yaml(None, raw="title: caf\xe9\n".encode(
        "latin-1")), 1, "not UTF-8"),
    ("questionnaire: unknown scale", questionnaire_yaml(
        lambda d: d["sections"][0]["questions"][1].update(scale="none")), 1, "1 problem"),
    ("questionnaire: oversize", questionnaire_yaml(None, raw=b"#" * (6 * 1024 * 1024)), 1,
     "limit is 5,242,880"),
    ("index: sums broken", index_yaml(lambda d: d["areas"][0].update(max_points=6)), 1,
     "2 problems"),
    ("index: missing question", index_yaml(
        lambda d: d["areas"][1]["criteria"][0]["components"][0]["sources"][0].update(
            question="NOPE")), 1, "1 problem"),
    ("index: not a mapping", index_yaml(None, raw="- 1\n- 2\n"), 1, "1 problem"),
]


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize(("run", "status", "needle"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_changes_no_row(world, tmp_path, run, status, needle):
    before = {m.__name__: m.objects.count() for m in MODELS}
    got, text = run(world, tmp_path)
    assert got == status
    assert needle in text
    assert {m.__name__: m.objects.count() for m in MODELS} == before
