"""Pages of paper data entry: a province's batches, registering one, keying, reconciling.

Supervisors (province officers, data-entry supervisors) register batches and read the paper
where two keyings differ; operators key. Everyone sees their own province's batches only.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from scoring import selectors
from scoring.forms import PaperBatchForm, PaperKeyingForm
from scoring.models import Role
from scoring.permissions import (
    ENTRY_STAFF,
    ENTRY_SUPERVISORS,
    may_enter_for,
    provinces_in_view,
    staff_required,
)
from scoring.services import paper
from surveys.models import PaperBatch, PaperForm, Questionnaire
from surveys.paper import as_typed
from surveys.selectors import keying_questions


def _batch(request: HttpRequest, pk: int) -> PaperBatch:
    batch = get_object_or_404(PaperBatch.objects.select_related("questionnaire", "province"),
                              pk=pk)
    if not may_enter_for(request.user, batch.province):
        raise PermissionDenied
    return batch


def _supervises(request: HttpRequest) -> bool:
    return request.staff_role.role in ENTRY_SUPERVISORS


@staff_required(*ENTRY_STAFF)
def paper_home(request: HttpRequest) -> HttpResponse:
    """The province's batches with their progress; supervisors register new ones here."""
    province = request.staff_role.province
    return render(request, "scoring/paper_home_entry.html", {
        "province": province,
        "batches": selectors.paper_batches(provinces=provinces_in_view(request.user)),
        "supervises": _supervises(request)})


@staff_required(*ENTRY_SUPERVISORS)
def paper_register(request: HttpRequest) -> HttpResponse:
    province = request.staff_role.province
    questionnaires = Questionnaire.objects.filter(
        province_set_id=province.province_set_id).order_by("-year", "audience", "code")
    form = PaperBatchForm(request.POST or None, questionnaires=questionnaires)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                batch = paper.register_batch(
                    questionnaire=data["questionnaire"], province=province,
                    serials=data["serials"], collected_by=data["collected_by"],
                    arrived_on=data["arrived_on"], by=request.user)
            except paper.PaperRefused as exc:
                form.add_error("serials" if isinstance(exc, paper.SerialsOverlap) else None,
                               exc.message)
            else:
                messages.success(request, _("Batch %(batch)s registered: %(n)s forms.") % {
                    "batch": batch.pk, "n": batch.forms.count()})
                return redirect("scoring:paper-batch", batch=batch.pk)
        status = 400
    return render(request, "scoring/paper_register_entry.html",
                  {"form": form, "province": province}, status=status)


@staff_required(*ENTRY_STAFF)
def paper_batch(request: HttpRequest, batch: int) -> HttpResponse:
    """A batch's forms by state; an operator sees whether they keyed each, never answers."""
    found = _batch(request, batch)
    forms = list(found.forms.order_by("serial").values_list("serial", "status"))
    mine = set(found.forms.filter(keyings__operator=request.user)
               .values_list("serial", flat=True))
    labels = dict(PaperForm.Status.choices)
    return render(request, "scoring/paper_batch_entry.html", {
        "batch": found, "progress": selectors.batch_progress(batch_ids=[found.pk]).get(
            found.pk, selectors.BatchProgress()),
        "forms": [(serial, status, labels[status], serial in mine) for serial, status in forms],
        "supervises": _supervises(request),
        "operates": request.staff_role.role == Role.ENTRY_OPERATOR,
        "next_serial": paper.next_serial(batch=found, operator=request.user)})


@staff_required(Role.ENTRY_OPERATOR)
def paper_key(request: HttpRequest, batch: int) -> HttpResponse:
    """The keyboard-first keying screen: one line per question, the serial number first.

    The page never shows another operator's keying; what is typed is checked on the spot by
    static/scoring/paper-keying.js and again, whole, by the service.
    """
    found = _batch(request, batch)
    questions = keying_questions(found.questionnaire)
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    refused = ""
    status = 200
    serial_text = request.GET.get("serial", "")
    keying = PaperKeyingForm(request.POST if request.method == "POST" else None)
    if keying.is_bound:
        serial_text = keying.data.get("serial", "").strip()
        values = {q["code"]: request.POST.get(q["code"], "") for q in questions}
        try:
            if not keying.is_valid():
                raise paper.SerialNotInBatch(keying.errors["serial"][0])
            outcome = paper.key_form(batch=found, serial=keying.cleaned_data["serial"],
                                     operator=request.user, typed=values,
                                     started_at=keying.cleaned_data["opened"])
        except paper.PaperRefused as exc:
            refused, problems, status = exc.message, exc.problems, 400
        else:
            messages.success(request, _keyed_message(outcome))
            following = paper.next_serial(batch=found, operator=request.user)
            target = reverse("scoring:paper-key", kwargs={"batch": found.pk})
            if following is None:
                return redirect("scoring:paper-batch", batch=found.pk)
            return redirect(f"{target}?serial={following}")
    if not serial_text:
        following = paper.next_serial(batch=found, operator=request.user)
        serial_text = "" if following is None else str(following)
    for q in questions:
        q["value"] = values.get(q["code"], "")
        q["error"] = problems.get(q["code"], "")
    # a refused keying is corrected on the same form: its time runs from the first opening
    kept = keying.is_bound and keying.cleaned_data.get("opened") is not None  # checked above
    opened = keying.data["opened"] if kept else PaperKeyingForm.opened_token()
    return render(request, "scoring/paper_key_operator.html", {
        "batch": found, "questions": questions, "serial": serial_text, "refused": refused,
        "opened": opened}, status=status)


def _keyed_message(outcome: paper.KeyingOutcome) -> str:
    if outcome.status == PaperForm.Status.STORED:
        return _("Form %(serial)s keyed a second time, alike: stored and counted.") % {
            "serial": outcome.serial}
    if outcome.status == PaperForm.Status.DISAGREE:
        return _("Form %(serial)s keyed a second time with differences: it goes to the "
                 "supervisor.") % {"serial": outcome.serial}
    return _("Form %(serial)s keyed for the first time.") % {"serial": outcome.serial}


@staff_required(*ENTRY_SUPERVISORS)
def paper_resolve(request: HttpRequest, batch: int, serial: int) -> HttpResponse:
    """Both keyings of a form side by side, differences highlighted; the supervisor types the
    paper's answer for each difference."""
    found = _batch(request, batch)
    form = get_object_or_404(PaperForm, batch=found, serial=serial)
    keyings = list(form.keyings.select_related("operator").order_by("keyed_at", "id"))
    differences = {d.question.code for d in form.differences.select_related("question")}
    refused, problems, status = "", {}, 200
    typed = {code: request.POST.get(code, "") for code in differences}
    if request.method == "POST":
        try:
            paper.resolve_form(form=form, supervisor=request.user, typed=typed)
        except paper.PaperRefused as exc:
            refused, problems, status = exc.message, exc.problems, 400
        else:
            messages.success(request, _("Form %(serial)s resolved from the paper: stored and "
                                        "counted.") % {"serial": serial})
            return redirect("scoring:paper-batch", batch=found.pk)
    resolution = getattr(form, "resolution", None)
    rows = []
    for q in keying_questions(found.questionnaire):
        answers = [k.answers.get(q["code"]) for k in keyings]
        if all(a is None for a in answers) and q["code"] not in differences:
            continue
        labels = dict(q["options"])
        rows.append({
            **q, "differs": q["code"] in differences,
            "keyed": [_words(a, labels) for a in answers],
            "paper": (_words(resolution.answers.get(q["code"]), labels)
                      if resolution and q["code"] in differences else ""),
            "value": typed.get(q["code"], ""), "error": problems.get(q["code"], "")})
    return render(request, "scoring/paper_resolve_entry.html", {
        "batch": found, "form": form, "keyings": keyings, "rows": rows, "refused": refused,
        "open": form.status == PaperForm.Status.DISAGREE,
        "first_difference": next((r["code"] for r in rows if r["differs"]), "")},
        status=status)


def _words(value, labels: dict) -> str:
    """A keyed answer for the side-by-side view: its value and option label; — when blank."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return "; ".join(f"{v} · {labels.get(v, '')}" for v in value)
    if isinstance(value, int) and value in labels:
        return f"{value} · {labels[value]}"
    return as_typed(value)
