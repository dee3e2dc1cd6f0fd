"""Every staff page and every public page reads as Vietnamese: no English interface text, no
slug or dotted code where a name belongs (tests/vietnamese.py says exactly what is checked)."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from scoring.models import Index, QualityFlag, Recompute
from scoring.services.publishing import publish_index
from scoring.services.uncertainty import start_run
from scoring.tasks import bootstrap_index_task
from surveys.intake import generate_codes, issue_invitations
from surveys.models import Province, Questionnaire, Submission
from tests.scoring.helpers import ASSESSMENTS_2025, MATRIX, SUBMISSIONS_2025, for_2025
from tests.vietnamese import english_or_codes


@pytest.fixture
def everything(review, cycle_2025, tmp_path):
    """Both eras of the mini indices computed, a bootstrap, a flag, a publication."""
    (tmp_path / "s.csv").write_text(SUBMISSIONS_2025, encoding="utf-8")
    (tmp_path / "a.csv").write_text(ASSESSMENTS_2025, encoding="utf-8")
    call_command("import_submissions", str(tmp_path / "s.csv"), "--questionnaire",
                 "mini-citizens-2025", stdout=io.StringIO())
    call_command("import_assessments", str(tmp_path / "a.csv"), "--index", "mini-par-2025",
                 stdout=io.StringIO())
    for code in ("mini-par", "mini-sipas", "mini-par-2025", "mini-sipas-2025"):
        call_command("compute_scores", "--index", code, stdout=io.StringIO())
        index = Index.objects.get(code=code)
        bootstrap_index_task.delay(start_run(index=index, user=None, replicates=20).pk)
        publish_index(index=index, user=review["reviewer"], note="Kết quả chính thức")
    QualityFlag.objects.create(submission=Submission.objects.get(key="s2"), reason="speeder",
                               detail="40 s; median 600 s", facts={"seconds": 40, "median": 600})
    QualityFlag.objects.create(submission=Submission.objects.get(key="s4"), reason="duplicate",
                               facts={"minutes": 60, "match": "all_but_one", "question": "Q03"})
    return review


def staff_urls() -> list[tuple[str, str]]:
    """(role, url) of every staff page a GET shows, for the 63- and the 34-unit indices."""
    out = []
    for matrix in (MATRIX, for_2025(MATRIX)):
        for name, cases in matrix.items():
            for args, method, expected in cases:
                if method != "get":
                    continue
                role = next((r for r in ("reviewer", "administrator", "officer74",
                                         "officer79") if expected.get(r) == 200), None)
                if role is None or name.startswith("download") or name.endswith("download"):
                    continue
                out.append((role, name, args))
    return out


def resolve(name, args):
    real = []
    for a in args:
        if a == "RECOMPUTE":
            a = Recompute.objects.first().pk
        elif a == "SUBMISSION":
            a = Submission.objects.order_by("pk").first().pk
        elif a == "BATCH":
            from surveys.models import PaperBatch

            a = PaperBatch.objects.get().pk
        real.append(a)
    return reverse(f"scoring:{name}", args=real)


def test_every_staff_page_reads_as_vietnamese(everything, client):
    from django.contrib.auth import get_user_model

    from scoring.models import Role, StaffRole

    officer79 = get_user_model().objects.create_user("officer79")
    StaffRole.objects.create(user=officer79, role=Role.PROVINCE_OFFICER,
                             province=Province.objects.get(province_set__code="vn-34",
                                                           code="79"))
    users = {**everything, "officer79": officer79}
    found, seen = {}, 0
    for role, name, args in staff_urls():
        client.force_login(users[role])
        url = resolve(name, args)
        for extra in ("", "?version=current") if name in ("ranking", "province") else ("",):
            response = client.get(url + extra)
            assert response.status_code == 200, url
            seen += 1
            problems = english_or_codes(response.content.decode())
            if problems:
                found[url + extra] = problems
    # the pages with their optional parts shown too
    client.force_login(everything["reviewer"])
    client.post(reverse("scoring:index-audit-save", args=["mini-par-2025"]),
                {"w-1": "2", "w-2": "5", "drop": "1.2", "name": "Thử"})
    for url in (reverse("scoring:sensitivity", args=["mini-par"]) + "?variation=20&draws=50"
                "&seed=1", reverse("scoring:index-audit", args=["mini-par-2025"])
                + "?w-1=2&w-2=5&drop=1.2", reverse("scoring:index-audit", args=["mini-sipas"])
                + "?version=current&w-POL=1&w-SRV=3",
                reverse("scoring:index-audit", args=["mini-par"]) + "?w-1=0&w-2=0",
                reverse("scoring:quality-province", args=["mini-sipas", "74"]),
                reverse("scoring:publish", args=["mini-sipas-2025"]),
                reverse("scoring:province", args=["mini-par", "74"]) + "?open=all"):
        problems = english_or_codes(client.get(url).content.decode())
        if problems:
            found[url] = problems
    # paper forms: the operator's keying screen, a refused keying, a form in disagreement
    from scoring.services.paper import key_form
    from surveys.models import PaperBatch

    batch = PaperBatch.objects.get()
    key_form(batch=batch, serial=9001, operator=everything["operator74"],
             typed={"U01": "2", "Q01": "3"})
    key_form(batch=batch, serial=9001, operator=everything["supervisor74"],
             typed={"U01": "2", "Q01": "4"})
    client.force_login(everything["operator74"])
    key = reverse("scoring:paper-key", args=[batch.pk])
    pages = {key: client.get(key),
             key + "?refused": client.post(key, {"serial": "9002", "U01": "2", "Q01": "7",
                                                 "Q02": "3"})}
    client.force_login(everything["supervisor74"])
    resolve_url = reverse("scoring:paper-resolve", args=[batch.pk, 9001])
    pages[resolve_url] = client.get(resolve_url)
    pages[resolve_url + "?refused"] = client.post(resolve_url, {"Q01": "8"})
    for url, response in pages.items():
        assert "Phiếu" in response.content.decode(), url
        problems = english_or_codes(response.content.decode())
        if problems:
            found[url] = problems
    assert seen >= 30 and found == {}


def test_every_public_page_reads_as_vietnamese(everything):
    questionnaire = Questionnaire.objects.get(code="mini-citizens-2025")
    unit = Province.objects.get(province_set__code="vn-34", code="79")
    generate_codes(questionnaire=questionnaire,
                   province=Province.objects.get(province_set__code="vn-34", code="01"),
                   count=1)
    officials = Questionnaire.objects.get(code="mini-citizens")
    officials.audience = "official"
    officials.save(update_fields=["audience"])
    [token] = issue_invitations(questionnaire=officials,
                                province=Province.objects.get(province_set__code="vn-63",
                                                              code="74"), count=1)
    urls = ["/", "/results/", "/accounts/login/", "/r/",
            "/results/mini-par/", "/results/mini-par/74/", "/results/mini-sipas-2025/",
            f"/results/mini-sipas-2025/{unit.code}/",
            f"/s/mini-citizens-2025/{unit.code}/", "/s/mini-citizens-2025/01/",
            f"/i/{token}/", "/i/not-a-token/", "/no-such-page/", "/results/no-such-index/"]
    found = {}
    for url in urls:
        response = Client().get(url)
        assert response.status_code in (200, 404, 410), url
        problems = english_or_codes(response.content.decode())
        if problems:
            found[url] = problems
    assert found == {}
