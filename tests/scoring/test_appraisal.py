"""The appraisal page: a form, one service with history and audit, an error summary, row locks."""

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from scoring.models import Assessment, AssessmentChange, AuditEvent, Index
from scoring.services import assessments as service
from surveys.models import Province


def test_errors_are_listed_at_the_top_with_links_and_nothing_is_saved(review, client):
    client.force_login(review["reviewer"])
    index = Index.objects.get(code="mini-par")
    a, b = index.nodes.get(code="1.1.1"), index.nodes.get(code="1.2.1")
    url = reverse("scoring:assessments", args=["mini-par", "74"])
    before = sorted(Assessment.objects.values_list("pk", "appraised_score", "comment"))
    page = client.post(url, {f"score-{a.pk}": "0,5", f"note-{a.pk}": "ok",
                             f"score-{b.pk}": "1.005"})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'id="error-summary"' in html
    assert f'<a href="#score-{b.pk}">1.2.1: Chỉ dùng tối đa 2 chữ số thập phân.</a>' in html
    assert sorted(Assessment.objects.values_list("pk", "appraised_score", "comment")) == before
    assert not AssessmentChange.objects.filter(via="web").exists()
    crumbs = html.split('aria-label="breadcrumb"')[1].split("</ol>")[0]
    assert '>Chỉ số thử</a>' in crumbs and 'mini-par<' not in crumbs


def test_a_decimal_comma_is_accepted(review, client):
    client.force_login(review["reviewer"])
    node = Index.objects.get(code="mini-par").nodes.get(code="1.1.1")
    url = reverse("scoring:assessments", args=["mini-par", "74"])
    assert client.post(url, {f"score-{node.pk}": "0,75"}).status_code == 302
    assert str(Assessment.objects.get(province__code="74", node=node).appraised_score) == "0.75"


def test_the_import_goes_through_the_same_service_and_is_audited(review, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "a.csv"
    path.write_text("province_code,component_code,self_score,appraised_score\n"
                    "74,1.1.1,,0.25\n", encoding="utf-8")
    call_command("import_assessments", str(path), "--index", "mini-par")
    event = AuditEvent.objects.filter(action="score_changed").order_by("pk").last()
    assert event.detail == {"index": "mini-par", "province": "74", "via": "import",
                            "component": "1.1.1", "field": "appraised_score", "old": "1.50",
                            "new": "0.25"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_saving_one_province_does_not_wait_for_another(postgres, mini_questionnaire,
                                                       monkeypatch):
    from scoring.services.definitions import load_index
    from tests.helpers import fixture_text

    load_index(text=fixture_text("mini-par.yaml"))
    index = Index.objects.get(code="mini-par")
    p74, p01 = Province.objects.get(code="74"), Province.objects.get(code="01")
    holding, release = threading.Event(), threading.Event()
    real = service.record_event

    def slow_event(**kwargs):
        if kwargs.get("province") == "74":
            holding.set()
            release.wait(timeout=30)  # 74's transaction stays open, holding its row locks
        return real(**kwargs)

    monkeypatch.setattr(service, "record_event", slow_event)
    errors = []

    def save_74():
        try:
            service.save_assessments(index=index, province=p74, user=None, via="web",
                                     scores={"1.1.1": {"appraised_score": 1}}, notes={},
                                     refresh=False)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    worker = threading.Thread(target=save_74)
    worker.start()
    assert holding.wait(timeout=30)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '3s'")  # the old code locked every row of the index
    try:
        saved = service.save_assessments(index=index, province=p01, user=None, via="web",
                                         scores={"1.1.1": {"appraised_score": 2}}, notes={},
                                         refresh=False)
    finally:
        release.set()
        worker.join(timeout=30)
    assert saved.scores == 1 and not errors
    assert sorted(Assessment.objects.values_list("province__code", "appraised_score")) == [
        ("01", 2), ("74", 1)]


def test_recomputes_started_from_the_command_are_audited(review):
    import io

    from django.core.management import call_command

    call_command("compute_scores", "--index", "mini-sipas", stdout=io.StringIO())
    event = AuditEvent.objects.filter(action="recompute").order_by("pk").last()
    assert (event.user, event.detail["index"], event.detail["via"]) == (None, "mini-sipas",
                                                                        "command")
