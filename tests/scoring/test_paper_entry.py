"""Paper forms: batches, double keying, reconciliation, and each bad input refused whole."""

import datetime
import re
import threading
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import translation

from scoring.models import AuditEvent, Role, StaffRole
from scoring.services import paper
from surveys.models import (
    Answer,
    PaperBatch,
    PaperDifference,
    PaperForm,
    PaperKeying,
    PaperResolution,
    Province,
    Submission,
)
from surveys.paper import submission_key
from tests.helpers import make_user

ARRIVED = datetime.date(2024, 10, 1)
FORM_1 = {"U01": "1", "Q01": "4", "Q02": "5", "Q03": "", "Z01": "13", "N01": "2",
          "T01": "Tốt"}
FORM_2 = {"U01": "2", "Q01": "3"}


@pytest.fixture(autouse=True)
def _english(client):
    """Messages are checked in English: services run in it, pages are asked for it."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def entry(mini_questionnaire):
    p74 = Province.objects.get(code="74", province_set=mini_questionnaire.province_set)
    return {
        "questionnaire": mini_questionnaire, "province": p74,
        "supervisor": make_user("sup74", Role.ENTRY_SUPERVISOR, p74),
        "a": make_user("opa", Role.ENTRY_OPERATOR, p74),
        "b": make_user("opb", Role.ENTRY_OPERATOR, p74),
    }


def register(entry, serials="1-3", **changes):
    args = {"questionnaire": entry["questionnaire"], "province": entry["province"],
            "serials": serials, "collected_by": "Bưu điện tỉnh", "arrived_on": ARRIVED,
            "by": entry["supervisor"], **changes}
    return paper.register_batch(**args)


def stored():
    return sorted(Submission.objects.values_list("key", "channel"))


@pytest.mark.django_db
def test_a_batch_holds_one_form_per_serial_and_is_audited(entry):
    batch = register(entry, "1001-1003, 1010")
    assert list(batch.forms.values_list("serial", "status")) == [
        (1001, "pending"), (1002, "pending"), (1003, "pending"), (1010, "pending")]
    event = AuditEvent.objects.get(action="paper_batch")
    assert (event.user, event.detail) == (entry["supervisor"], {
        "via": "web", "batch": batch.pk, "questionnaire": "mini-citizens", "province": "74",
        "serials": "1001-1003, 1010", "forms": 4, "collected_by": "Bưu điện tỉnh",
        "arrived_on": "2024-10-01"})


@pytest.mark.django_db
def test_two_agreeing_keyings_store_the_form_once_on_channel_paper(entry):
    batch = register(entry)
    first = paper.key_form(batch=batch, serial=1, operator=entry["a"], typed=FORM_1)
    assert (first.status, first.submission_key) == ("keyed_once", None)
    assert stored() == []  # a form keyed once is never counted
    second = paper.key_form(batch=batch, serial=1, operator=entry["b"], typed=dict(FORM_1))
    key = submission_key("mini-citizens", 1)
    assert (second.status, second.differing, second.submission_key) == ("stored", [], key)
    assert stored() == [(key, "paper")]
    submission = Submission.objects.get()
    assert (submission.province.code, submission.counted_at is not None) == ("74", False)
    assert sorted(Answer.objects.values_list("question__code", "option_value", "number_value",
                                             "text_value")) == [
        ("N01", None, 2, ""), ("Q01", 4, None, ""), ("Q02", 5, None, ""),
        ("T01", None, None, "Tốt"), ("U01", 1, None, ""), ("Z01", 1, None, ""),
        ("Z01", 3, None, "")]
    assert PaperForm.objects.get(serial=1).stored_at is not None
    events = list(AuditEvent.objects.filter(action="paper_keyed").order_by("pk")
                  .values_list("user__username", "detail"))
    common = {"via": "web", "batch": batch.pk, "questionnaire": "mini-citizens",
              "province": "74", "serial": 1}
    assert events == [
        ("opa", {**common, "keying": 1, "outcome": "keyed_once", "differing": []}),
        ("opb", {**common, "keying": 2, "outcome": "stored", "differing": [],
                 "submission": key})]


@pytest.mark.django_db
def test_disagreeing_keyings_wait_for_the_supervisor_who_reads_the_paper(entry):
    batch = register(entry)
    paper.key_form(batch=batch, serial=2, operator=entry["a"], typed=FORM_2)
    outcome = paper.key_form(batch=batch, serial=2, operator=entry["b"],
                             typed={**FORM_2, "Q01": "5", "Q03": "4"})
    assert (outcome.status, outcome.differing) == ("disagree", ["Q01", "Q03"])
    assert stored() == []
    assert sorted(PaperDifference.objects.values_list("question__code", "first", "second")) == [
        ("Q01", 3, 5), ("Q03", None, 4)]
    form = PaperForm.objects.get(serial=2)
    done = paper.resolve_form(form=form, supervisor=entry["supervisor"],
                              typed={"Q01": "5", "Q03": "", "U01": "1"})  # U01 agreed: ignored
    key = submission_key("mini-citizens", 2)
    assert (done.status, done.submission_key) == ("stored", key)
    assert stored() == [(key, "paper")]
    assert sorted(Answer.objects.values_list("question__code", "option_value")) == [
        ("Q01", 5), ("U01", 2)]
    assert PaperResolution.objects.get().answers == {"Q01": 5, "Q03": None}
    event = AuditEvent.objects.get(action="paper_resolved")
    assert (event.user, event.detail["changes"], event.detail["submission"]) == (
        entry["supervisor"], {"Q01": {"first": 3, "second": 5, "paper": 5},
                              "Q03": {"first": None, "second": 4, "paper": None}}, key)


@pytest.mark.django_db
def test_the_next_form_completes_pairs_before_new_forms(entry):
    batch = register(entry)
    assert paper.next_serial(batch=batch, operator=entry["a"]) == 1
    paper.key_form(batch=batch, serial=1, operator=entry["a"], typed=FORM_2)
    assert paper.next_serial(batch=batch, operator=entry["a"]) == 2
    paper.key_form(batch=batch, serial=3, operator=entry["a"], typed=FORM_2)
    assert paper.next_serial(batch=batch, operator=entry["b"]) == 1
    paper.key_form(batch=batch, serial=1, operator=entry["b"], typed=FORM_2)
    assert paper.next_serial(batch=batch, operator=entry["b"]) == 3


# --- bad input: a clear message, nothing stored --------------------------------------------------

def nothing_keyed():
    return (PaperKeying.objects.count(), Submission.objects.count(),
            AuditEvent.objects.filter(action="paper_keyed").count())


@pytest.mark.django_db
def test_a_serial_outside_the_batch_is_refused(entry):
    batch = register(entry)
    with pytest.raises(paper.SerialNotInBatch) as caught:
        paper.key_form(batch=batch, serial=4, operator=entry["a"], typed=FORM_2)
    assert caught.value.message == "Form 4 is not in this batch (serial numbers 1-3)."
    assert nothing_keyed() == (0, 0, 0)


@pytest.mark.django_db
def test_a_stored_form_is_not_keyed_again(entry):
    batch = register(entry)
    paper.key_form(batch=batch, serial=1, operator=entry["a"], typed=FORM_2)
    paper.key_form(batch=batch, serial=1, operator=entry["b"], typed=FORM_2)
    third = make_user("opc", Role.ENTRY_OPERATOR, entry["province"])
    with pytest.raises(paper.AlreadyStored) as caught:
        paper.key_form(batch=batch, serial=1, operator=third, typed=FORM_2)
    assert caught.value.message == "Form 1 is already stored; it is not keyed again."
    assert nothing_keyed() == (2, 1, 2)


@pytest.mark.django_db
def test_the_same_operator_cannot_key_a_form_twice(entry):
    batch = register(entry)
    paper.key_form(batch=batch, serial=1, operator=entry["a"], typed=FORM_2)
    with pytest.raises(paper.AlreadyKeyed) as caught:
        paper.key_form(batch=batch, serial=1, operator=entry["a"], typed=FORM_2)
    assert caught.value.message == ("You have already keyed form 1; the second keying must be "
                                    "by another operator.")
    assert nothing_keyed() == (1, 0, 1)


@pytest.mark.django_db
def test_a_form_in_disagreement_is_not_keyed_a_third_time(entry):
    batch = register(entry)
    paper.key_form(batch=batch, serial=1, operator=entry["a"], typed=FORM_2)
    paper.key_form(batch=batch, serial=1, operator=entry["b"], typed={**FORM_2, "Q01": "4"})
    third = make_user("opc", Role.ENTRY_OPERATOR, entry["province"])
    with pytest.raises(paper.AwaitingResolution) as caught:
        paper.key_form(batch=batch, serial=1, operator=third, typed=FORM_2)
    assert caught.value.message == ("Form 1 was keyed twice with differences and waits for "
                                    "the supervisor.")
    assert nothing_keyed() == (2, 0, 2)


@pytest.mark.django_db
def test_a_value_not_among_the_options_is_refused_with_the_allowed_ones(entry):
    batch = register(entry)
    with pytest.raises(paper.AnswersRefused) as caught:
        paper.key_form(batch=batch, serial=1, operator=entry["a"],
                       typed={"U01": "1", "Q01": "7", "Q02": "5", "Z01": "14"})
    assert caught.value.message == "Some answers are not accepted; nothing was stored."
    assert caught.value.problems == {
        "Q01": "7 is not among the options: 1, 2, 3, 4, 5, 9.",
        "Z01": "1|4 is not among the options: 1, 2, 3."}
    assert nothing_keyed() == (0, 0, 0)


@pytest.mark.django_db
def test_an_answer_to_a_skipped_question_is_refused(entry):
    batch = register(entry)
    with pytest.raises(paper.AnswersRefused) as caught:
        paper.key_form(batch=batch, serial=1, operator=entry["a"],
                       typed={"U01": "2", "Q01": "3", "Q02": "4"})
    assert caught.value.problems == {"Q02": "Q02 is skipped when U01 is not 1: leave it blank."}
    assert nothing_keyed() == (0, 0, 0)


@pytest.mark.django_db
def test_a_missing_required_answer_is_refused(entry):
    batch = register(entry)
    with pytest.raises(paper.AnswersRefused) as caught:
        paper.key_form(batch=batch, serial=1, operator=entry["a"], typed={"U01": "1",
                                                                           "Q01": "3"})
    assert caught.value.problems == {"Q02": "An answer is required."}
    assert nothing_keyed() == (0, 0, 0)


@pytest.mark.django_db
def test_a_batch_overlapping_another_is_refused(entry):
    first = register(entry)
    with pytest.raises(paper.SerialsOverlap) as caught:
        register(entry, "3-5")
    assert caught.value.message == ("These serial numbers are already in another batch of "
                                    f"mini-citizens: 3 (batch {first.pk}).")
    assert (PaperBatch.objects.count(), PaperForm.objects.count()) == (1, 3)
    assert AuditEvent.objects.filter(action="paper_batch").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "message"), [
    ({"serials": "5-3"}, "The serial numbers cannot be read: the range 5-3 runs backwards."),
    ({"collected_by": " "}, "Say who collected the forms."),
    ({"arrived_on": datetime.date(2999, 1, 1)}, "The arrival date 2999-01-01 is in the future."),
])
def test_a_batch_that_cannot_be_read_is_refused(entry, changes, message):
    with pytest.raises(paper.BatchInvalid) as caught:
        register(entry, **changes)
    assert caught.value.message == message
    assert (PaperBatch.objects.count(), PaperForm.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_a_batch_that_arrived_after_closing_is_refused(entry):
    from django.utils import timezone

    q = entry["questionnaire"]
    q.closes_at = timezone.make_aware(datetime.datetime(2024, 9, 30, 12))
    q.save()
    with pytest.raises(paper.BatchInvalid) as caught:
        register(entry)
    assert caught.value.message == ("mini-citizens closed on 2024-09-30; forms that arrived "
                                    "later are not part of its sample.")
    assert PaperBatch.objects.count() == 0


@pytest.mark.django_db
def test_resolving_needs_a_disagreement_and_accepted_answers(entry):
    batch = register(entry)
    paper.key_form(batch=batch, serial=1, operator=entry["a"], typed=FORM_2)
    form = PaperForm.objects.get(serial=1)
    with pytest.raises(paper.NothingToResolve) as caught:
        paper.resolve_form(form=form, supervisor=entry["supervisor"], typed={})
    assert caught.value.message == "Form 1 has no disagreement to resolve."
    paper.key_form(batch=batch, serial=1, operator=entry["b"], typed={**FORM_2, "Q01": "4"})
    with pytest.raises(paper.AnswersRefused) as caught:
        paper.resolve_form(form=form, supervisor=entry["supervisor"], typed={"Q01": "6"})
    assert caught.value.problems == {"Q01": "6 is not among the options: 1, 2, 3, 4, 5, 9."}
    assert (Submission.objects.count(), PaperResolution.objects.count()) == (0, 0)
    assert PaperForm.objects.get(serial=1).status == "disagree"


# --- two operators at once, on PostgreSQL -------------------------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_operators_keying_one_form_at_once_store_it_once(postgres, entry):
    batch = register(entry)
    paper.key_form(batch=batch, serial=1, operator=entry["a"], typed=FORM_2)
    others = [entry["b"], *(make_user(f"op{i}", Role.ENTRY_OPERATOR, entry["province"])
                            for i in range(3))]
    start = threading.Barrier(len(others) * 2)
    outcomes = []

    def key(operator, serial):
        try:
            start.wait()
            with translation.override("en"):
                outcomes.append(paper.key_form(batch=batch, serial=serial, operator=operator,
                                               typed=FORM_2).status)
        except paper.PaperRefused as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=key, args=(op, serial))
               for op in others for serial in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # form 1: one second keying stores it, the rest find it stored; form 2: the first two in
    # store it, the others find it stored
    assert sorted(outcomes) == sorted(["stored", "AlreadyStored", "AlreadyStored",
                                       "AlreadyStored", "keyed_once", "stored",
                                       "AlreadyStored", "AlreadyStored"])
    assert sorted(Submission.objects.values_list("key", flat=True)) == sorted(
        [submission_key("mini-citizens", 1), submission_key("mini-citizens", 2)])
    assert PaperKeying.objects.filter(form__serial=1).count() == 2
    assert PaperKeying.objects.filter(form__serial=2).count() == 2
    assert Answer.objects.count() == 4


# --- the pages ----------------------------------------------------------------------------------

def key_url(batch, serial=None):
    from django.urls import reverse

    url = reverse("scoring:paper-key", args=[batch.pk])
    return f"{url}?serial={serial}" if serial else url


@pytest.mark.django_db
def test_an_operator_keys_on_the_page_and_the_second_never_sees_the_first(entry, client):
    batch = register(entry)
    client.force_login(entry["a"])
    page = client.get(key_url(batch))
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    assert 'id="serial" name="serial" value="1"' in html
    assert 'src="/static/scoring/paper-keying.js"' in html and "<script>" not in html
    response = client.post(key_url(batch), {"serial": "1", **FORM_1,
                                            "T01": "Chữ riêng của A", "opened": "forged"})
    assert response.status_code == 302 and response.url == key_url(batch, 2)
    keying = PaperKeying.objects.get()
    assert (keying.answers["T01"], keying.started_at) == ("Chữ riêng của A", None)
    client.force_login(entry["b"])
    html = client.get(key_url(batch, 1)).content.decode()
    assert "Chữ riêng của A" not in html and 'value="4"' not in html


@pytest.mark.django_db
def test_a_refused_keying_shows_why_on_the_page_and_stores_nothing(entry, client):
    batch = register(entry)
    client.force_login(entry["a"])
    response = client.post(key_url(batch), {"serial": "1", "U01": "2", "Q01": "7",
                                            "Q02": "4"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Some answers are not accepted; nothing was stored." in html
    assert "7 is not among the options: 1, 2, 3, 4, 5, 9." in html
    assert "Q02 is skipped when U01 is not 1: leave it blank." in html
    response = client.post(key_url(batch), {"serial": "12", **FORM_2})
    assert "Form 12 is not in this batch (serial numbers 1-3)." in response.content.decode()
    assert nothing_keyed() == (0, 0, 0)
    # corrected on the same page: the time counts from when it was first opened
    opened = re.search(r'name="opened" value="([^"]+)"',
                       client.get(key_url(batch)).content.decode()).group(1)
    again = client.post(key_url(batch), {"serial": "1", **FORM_2, "Q01": "7",
                                         "opened": opened})
    assert f'name="opened" value="{opened}"' in again.content.decode()
    no_serial = client.post(key_url(batch), {"serial": " x1 ", **FORM_2, "opened": opened})
    assert no_serial.status_code == 400
    assert "Type the form&#x27;s serial number." in no_serial.content.decode()
    assert f'name="opened" value="{opened}"' in no_serial.content.decode()
    assert nothing_keyed() == (0, 0, 0)
    client.post(key_url(batch), {"serial": "1", **FORM_2, "opened": opened})
    assert PaperKeying.objects.get().started_at is not None


@pytest.mark.django_db
def test_the_supervisor_resolves_from_the_side_by_side_view(entry, client):
    from django.urls import reverse

    batch = register(entry)
    paper.key_form(batch=batch, serial=2, operator=entry["a"], typed=FORM_2)
    paper.key_form(batch=batch, serial=2, operator=entry["b"], typed={**FORM_2, "Q01": "5"})
    client.force_login(entry["supervisor"])
    url = reverse("scoring:paper-resolve", args=[batch.pk, 2])
    html = client.get(url).content.decode()
    assert html.count('class="table-warning differs"') == 1
    assert 'id="row-Q01" data-code="Q01" class="table-warning differs"' in html
    assert "3 · Neutral" in html and "5 · Very satisfied" in html
    response = client.post(url, {"Q01": "8"})
    assert response.status_code == 400
    assert "8 is not among the options: 1, 2, 3, 4, 5, 9." in response.content.decode()
    assert Submission.objects.count() == 0
    response = client.post(url, {"Q01": "3"})
    assert response.status_code == 302
    assert stored() == [(submission_key("mini-citizens", 2), "paper")]
    assert PaperForm.objects.get(serial=2).status == "stored"


# --- quality figures on the monitoring page -------------------------------------------------

@pytest.mark.django_db
def test_keying_quality_per_operator_question_and_batch(entry, client,
                                                        django_assert_num_queries):
    from datetime import timedelta

    from django.db.models import F
    from django.urls import reverse

    from scoring import selectors

    batch = register(entry)
    for serial in (1, 2, 3):
        paper.key_form(batch=batch, serial=serial, operator=entry["a"], typed=FORM_2)
    paper.key_form(batch=batch, serial=1, operator=entry["b"], typed=FORM_2)
    paper.key_form(batch=batch, serial=2, operator=entry["b"], typed={**FORM_2, "Q01": "4"})
    paper.key_form(batch=batch, serial=3, operator=entry["b"],
                   typed={**FORM_2, "Q01": "4", "Q03": "2"})
    for operator, minutes in ((entry["a"], 2), (entry["b"], 3)):
        PaperKeying.objects.filter(operator=operator).update(
            started_at=F("keyed_at") - timedelta(minutes=minutes))
    questionnaires = [entry["questionnaire"]]
    with django_assert_num_queries(1):
        figures = selectors.operator_figures(questionnaires=questionnaires)
    assert [(f.operator, f.province, f.forms, f.per_hour, f.double_keyed, f.disagreed,
             f.disagreement_percent) for f in figures] == [
        ("opa", "74", 3, Decimal("30.0"), 3, 2, Decimal("66.7")),
        ("opb", "74", 3, Decimal("20.0"), 3, 2, Decimal("66.7"))]
    with django_assert_num_queries(3):
        questions = selectors.question_disagreement(questionnaires=questionnaires)
    assert [(d.code, d.differing, d.double_keyed, d.percent) for d in questions] == [
        ("Q01", 2, 3, Decimal("66.7")), ("Q03", 1, 3, Decimal("33.3"))]
    progress = selectors.batch_progress(batch_ids=[batch.pk])[batch.pk]
    assert (progress.stored_matching, progress.disagree, progress.total) == (1, 2, 3)

    reviewer = get_user_model().objects.create_user("reviewer")
    StaffRole.objects.create(user=reviewer, role=Role.REVIEWER)
    client.force_login(reviewer)
    html = client.get(reverse("scoring:monitoring", args=[2024])).content.decode()
    assert ('<tr data-questionnaire="mini-citizens"><th scope="row" class="fw-normal">'
            'Citizens</th><td class="text-end">0</td><td class="text-end">0</td>'
            '<td class="text-end">1</td>') in html  # web, API, paper
    assert ('<td class="text-end">3</td><td class="text-end">30.0</td><td class="text-end">3'
            '</td><td class="text-end">2 (66.7%)</td>') in html
    assert '<td class="text-end">2 / 3</td><td class="text-end">66.7%</td>' in html
    assert (f'<tr data-batch="{batch.pk}">') in html


@pytest.mark.django_db
def test_operators_see_only_their_own_provinces_batches(entry, client):
    from django.urls import reverse

    ours = register(entry)
    p01 = Province.objects.get(code="01", province_set=entry["questionnaire"].province_set)
    supervisor01 = make_user("sup01", Role.ENTRY_SUPERVISOR, p01)
    theirs = paper.register_batch(questionnaire=entry["questionnaire"], province=p01,
                                  serials="50-51", collected_by="Hội Cựu chiến binh",
                                  arrived_on=ARRIVED, by=supervisor01)
    client.force_login(entry["a"])
    html = client.get(reverse("scoring:paper")).content.decode()
    assert f'data-batch="{ours.pk}"' in html and f'data-batch="{theirs.pk}"' not in html
    for name in ("scoring:paper-batch", "scoring:paper-key"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 403
    assert client.post(reverse("scoring:paper-key", args=[theirs.pk]),
                       {"serial": "50", **FORM_2}).status_code == 403
    assert PaperKeying.objects.count() == 0
