"""Results made stale by a change are marked in the change's transaction and always refreshed."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from scoring.models import NodeResult, PendingRefresh
from scoring.services import results
from scoring.services.definitions import load_index
from scoring.services.quality import set_excluded
from surveys.models import Submission
from tests.helpers import fixture_text


def export(code: str) -> str:
    out = io.StringIO()
    call_command("export_scores", "--index", code, "--level", "item", stdout=out)
    call_command("export_scores", "--index", code, "--level", "total", stdout=out)
    return out.getvalue()


def total_74() -> str:
    return str(NodeResult.objects.get(index__code="mini-sipas", province__code="74",
                                      node__level=0).percent)


@pytest.fixture
def sipas(mini_questionnaire):
    load_index(text=fixture_text("mini-sipas.yaml"))
    call_command("compute_scores", "--index", "mini-sipas", stdout=io.StringIO())


@pytest.fixture
def refresh_fails_once(monkeypatch):
    real = results.recompute_provinces
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs["index"].code)
        if len(calls) == 1:
            raise RuntimeError("the refresh failed")
        return real(**kwargs)

    monkeypatch.setattr(results, "recompute_provinces", flaky)
    return calls


def full_recompute_export() -> str:
    call_command("compute_scores", "--index", "mini-sipas", stdout=io.StringIO())
    return export("mini-sipas")


def test_a_fold_whose_refresh_fails_is_refreshed_by_the_sweep(
        sipas, refresh_fails_once, settings, django_capture_on_commit_callbacks):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 0}
    with django_capture_on_commit_callbacks(execute=True):  # the fold runs on commit
        response = Client().post("/api/v1/submissions", json.dumps({
            "submission_id": "k1", "questionnaire": "mini-citizens", "province": "74",
            "answers": {"U01": 1, "Q01": 5, "Q02": 4, "Q03": 5}}),
            content_type="application/json")
    assert response.status_code == 201  # stored and counted; only the refresh failed
    assert Submission.objects.get().counted_at is not None
    assert list(PendingRefresh.objects.values_list("index__code", "province__code")) == [
        ("mini-sipas", "74")]
    assert total_74() == "None"  # stale: the province has an answer but no result yet
    call_command("sweep_submissions", stdout=io.StringIO())  # nothing new arrives
    assert not PendingRefresh.objects.exists()
    assert total_74() == "100.000000000000"
    assert export("mini-sipas") == full_recompute_export()


def test_an_exclusion_whose_refresh_fails_is_refreshed_by_the_sweep(
        sipas, settings, django_capture_on_commit_callbacks):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 0}
    for key, q01 in (("k1", 5), ("k2", 1)):
        with django_capture_on_commit_callbacks(execute=True):
            Client().post("/api/v1/submissions", json.dumps({
                "submission_id": key, "questionnaire": "mini-citizens", "province": "74",
                "answers": {"U01": 2, "Q01": q01}}), content_type="application/json")
    assert total_74() == "50.000000000000"
    real = results.recompute_provinces
    results.recompute_provinces = lambda **kwargs: (_ for _ in ()).throw(RuntimeError("down"))
    try:
        with pytest.raises(RuntimeError):
            set_excluded(submission=Submission.objects.get(key="k2"), excluded=True, user=None)
    finally:
        results.recompute_provinces = real
    assert Submission.objects.get(key="k2").excluded
    assert total_74() == "50.000000000000"  # stale
    call_command("sweep_submissions", stdout=io.StringIO())
    assert total_74() == "100.000000000000"
    assert export("mini-sipas") == full_recompute_export()


def test_a_change_during_a_refresh_is_not_cleared_by_it(sipas, monkeypatch):
    from scoring.services import outbox

    index_id, province_id = NodeResult.objects.filter(
        index__code="mini-sipas", province__code="74").values_list(
        "index_id", "province_id").first()
    outbox.mark_stale([(index_id, province_id)])
    real = results.recompute_provinces

    def meanwhile(**kwargs):
        outbox.mark_stale([(index_id, province_id)])  # a fold commits during the refresh
        return real(**kwargs)

    monkeypatch.setattr(results, "recompute_provinces", meanwhile)
    results.refresh_pending()
    assert list(PendingRefresh.objects.values_list("version", flat=True)) == [2]


def test_a_recompute_rewrites_only_the_results_whose_values_changed(review, postgres):
    # An update writes a new row version (a new ctid) and leaves a dead one. A result computed
    # again to the same value keeps its row; one whose value changed is rewritten.
    from django.db import connection

    from scoring.models import Index
    from scoring.services.results import recompute_index, start_recompute

    def versions():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, ctid::text FROM {NodeResult._meta.db_table}")  # noqa: S608 - the model's table
            return dict(cursor.fetchall())

    index = Index.objects.get(code="mini-sipas")
    before = versions()
    stamps = dict(NodeResult.objects.values_list("pk", "computed_at"))
    recompute_index(recompute=start_recompute(index=index))
    assert versions() == before
    assert dict(NodeResult.objects.values_list("pk", "computed_at")) == stamps

    set_excluded(submission=Submission.objects.get(key="s1"), excluded=True, user=None)
    results.refresh_pending()
    after = versions()
    changed = {pk for pk, version in after.items() if version != before[pk]}
    in_74 = set(NodeResult.objects.filter(province__code="74").values_list("pk", flat=True))
    assert changed and changed < in_74  # only 74's results moved, and not all of them
    assert not changed & set(NodeResult.objects.filter(province__code="01")
                             .values_list("pk", flat=True))


def test_results_are_stored_for_updates_in_place(postgres, db):
    # Room in each page and no index on a column every refresh changes: PostgreSQL can then
    # update a result within its page (HOT) and prune the old version without vacuum.
    from django.db import connection

    table = NodeResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        assert cursor.fetchone()[0] == ["fillfactor=70", "autovacuum_vacuum_scale_factor=0.05",
                                        "autovacuum_analyze_scale_factor=0.05"]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexed = [row[0] for row in cursor.fetchall()]
    assert len(indexed) == 5 and not [d for d in indexed if "recompute_id" in d]
