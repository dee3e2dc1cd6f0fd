"""The scoring worker on real PostgreSQL and Redis: incremental, idempotent, loss-free."""

import contextlib
import csv
import io

import pytest
from django.core.management import call_command

from config.celery import app
from scoring.models import AnswerTally, NodeResult
from scoring.services.definitions import load_index
from scoring.tasks import fold_submissions_task
from surveys.models import Submission
from tests.helpers import SUBMISSIONS, fixture_text, wait_for

pytestmark = [pytest.mark.services,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def indices(mini_questionnaire):
    load_index(text=fixture_text("mini-par.yaml"))
    load_index(text=fixture_text("mini-sipas.yaml"))


def export(index, level):
    out = io.StringIO()
    call_command("export_scores", "--index", index, "--level", level, stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def all_exports():
    return {(index, level): export(index, level)
            for index, levels in (("mini-par", ("total", "area", "criterion", "component")),
                                  ("mini-sipas", ("total", "part", "element", "item")))
            for level in levels}


def import_file(tmp_path):
    path = tmp_path / "subs.csv"
    path.write_text(SUBMISSIONS, encoding="utf-8")
    call_command("import_submissions", str(path), "--questionnaire", "mini-citizens")


@contextlib.contextmanager
def broker_down():
    """The web process loses its broker: publishing fails, the worker is untouched."""
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_write_url = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    try:
        yield
    finally:
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_write_url = None


def sipas_total_of_74():
    row = NodeResult.objects.filter(index__code="mini-sipas", province__code="74",
                                    node__level=0).values_list("percent", flat=True).first()
    return row


def test_imported_submissions_reach_the_scores_without_compute(worker, indices, tmp_path):
    import_file(tmp_path)
    wait_for(lambda: Submission.objects.filter(counted_at__isnull=True).count() == 0
             and Submission.objects.count() == 6)
    wait_for(sipas_total_of_74)
    sipas = export("mini-sipas", "total")
    assert sipas[1] == ["74", "Tỉnh Bình Dương", "62.50", "1", "", "", ""]
    assert sipas[2] == ["01", "Thành phố Hà Nội", "50.00", "2", "", "", ""]
    items = {(r[0], r[1]): r[2:] for r in export("mini-par", "component")[1:]}
    assert items[("74", "1.1.2")] == ["0.56", "1.00", "56.25", ""]
    assert items[("74", "2.1.1")] == ["1.67", "2.50", "66.67", ""]
    incremental = all_exports()
    call_command("compute_scores", "--index", "mini-par")
    call_command("compute_scores", "--index", "mini-sipas")
    full = all_exports()
    # the full recompute also writes the 61 provinces without answers; compare the others
    for key, rows in incremental.items():
        assert rows[0] == full[key][0]
        assert rows[1:] == [r for r in full[key][1:] if r[0] in ("74", "01")], key


def test_a_fold_delivered_twice_counts_once(worker, indices, tmp_path):
    with broker_down():
        import_file(tmp_path)
    ids = list(Submission.objects.order_by("pk").values_list("pk", flat=True))
    assert Submission.objects.filter(counted_at__isnull=True).count() == 6
    fold_submissions_task.delay(ids)
    fold_submissions_task.delay(ids)
    wait_for(lambda: not Submission.objects.filter(counted_at__isnull=True).exists())
    wait_for(lambda: sum(len(v or []) for v in app.control.inspect(timeout=1).active().values())
             == 0 if app.control.inspect(timeout=1).active() is not None else False)
    wait_for(sipas_total_of_74)
    q01 = dict(AnswerTally.objects.filter(province__code="74", question__code="Q01")
               .values_list("value", "count"))
    assert q01 == {3: 1, 4: 1, 5: 1, 9: 1}
    assert export("mini-sipas", "total")[1] == [
        "74", "Tỉnh Bình Dương", "62.50", "1", "", "", ""]


def test_submissions_made_while_the_broker_is_down_are_counted_by_the_sweep(worker, indices,
                                                                           tmp_path, caplog):
    with broker_down():
        import_file(tmp_path)
    assert [r.getMessage() for r in caplog.records if r.name == "surveys.services"] == [
        "could not enqueue 6 submissions; the sweep will count them"]
    assert Submission.objects.count() == 6
    assert Submission.objects.filter(counted_at__isnull=True).count() == 6
    assert not NodeResult.objects.exists()
    app.send_task("scoring.sweep_uncounted")  # what Celery beat sends every minute
    wait_for(lambda: not Submission.objects.filter(counted_at__isnull=True).exists())
    wait_for(sipas_total_of_74)
    swept = all_exports()
    call_command("compute_scores", "--index", "mini-par")
    call_command("compute_scores", "--index", "mini-sipas")
    full = all_exports()
    for key, rows in swept.items():
        assert rows[1:] == [r for r in full[key][1:] if r[0] in ("74", "01")], key


def test_a_bootstrap_on_the_worker_gives_the_same_intervals_however_it_is_chunked(
        worker, indices, tmp_path):
    """compute_intervals queues chunks for the real worker; chunking never changes a number."""
    from scoring.models import Index, Interval, RankInterval
    from scoring.selectors.precision import latest_run

    import_file(tmp_path)
    call_command("compute_scores", "--index", "mini-sipas", stdout=io.StringIO())
    index = Index.objects.get(code="mini-sipas")

    def run_with(*chunking):
        call_command("compute_intervals", "--index", "mini-sipas", "--replicates", "30",
                     "--seed", "9", *chunking, stdout=io.StringIO())
        run = latest_run(index)
        return run, (sorted(Interval.objects.filter(run=run).values_list(
            "province__code", "node__code", "low", "high")),
            sorted(RankInterval.objects.filter(run=run).values_list(
                "province__code", "median", "low", "high", "group")))

    first_run, first = run_with("--chunk-replicates", "30", "--chunk-provinces", "63")
    second_run, second = run_with("--chunk-replicates", "4", "--chunk-provinces", "10")
    assert first_run.pk != second_run.pk and first == second
    assert len(first[1]) == 63 and len(first[0]) == 63 * 9  # every node of mini-sipas
    assert run_with("--chunk-replicates", "7")[1] == first
