"""Paper forms: registering batches, double keying and the supervisor's reconciliation.

A form becomes a submission only when two different operators keyed the same answers, or
when a supervisor read the paper where they differed. It then joins the one intake path
(`surveys.services.record_submissions`, as CSV import does) with a submission id derived
from questionnaire and serial number, on channel `paper`; a form keyed once is never counted.
Every step is audited. Messages are in the active language: they are shown as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scoring.models import AuditEvent
from scoring.services.audit import record_event
from surveys.models import (
    PaperBatch,
    PaperDifference,
    PaperForm,
    PaperKeying,
    PaperResolution,
    Province,
    Questionnaire,
    Submission,
)
from surveys.paper import (
    SerialsInvalid,
    as_json,
    as_typed,
    differing,
    parse_serials,
    raw_from_keyboard,
    submission_key,
)
from surveys.selectors import questionnaire_schema
from surveys.services import NewSubmission, SubmissionConflict, record_submissions
from surveys.validation import Schema, clean_answers, clean_value, is_visible

MAX_LISTED = 10


class PaperRefused(Exception):
    """A paper step refused; nothing was stored. `problems` holds messages by question code."""

    code = "refused"

    def __init__(self, message: str, problems: dict[str, str] | None = None):
        self.message = message
        self.problems = problems or {}
        super().__init__(message)


class BatchInvalid(PaperRefused):
    code = "batch_invalid"


class SerialsOverlap(PaperRefused):
    code = "serials_overlap"


class SerialNotInBatch(PaperRefused):
    code = "serial_not_in_batch"


class AlreadyStored(PaperRefused):
    code = "already_stored"


class AlreadyKeyed(PaperRefused):
    code = "already_keyed"


class AwaitingResolution(PaperRefused):
    code = "awaiting_resolution"


class NothingToResolve(PaperRefused):
    code = "nothing_to_resolve"


class AnswersRefused(PaperRefused):
    code = "answers_refused"


def _listed(values: list) -> str:
    shown = ", ".join(str(v) for v in values[:MAX_LISTED])
    return shown + (" …" if len(values) > MAX_LISTED else "")


# --- batches ------------------------------------------------------------------------------------

def register_batch(*, questionnaire: Questionnaire, province: Province, serials: str,
                   collected_by: str, arrived_on: date, by) -> PaperBatch:
    """Register a batch of paper forms and one row per serial number; audited.

    Refused (BatchInvalid, SerialsOverlap) when the serials cannot be read, when any is in
    another batch of the questionnaire (the database's unique constraint settles a race),
    when the province is not one of the questionnaire's, or when the batch arrived after
    the questionnaire closed or arrives in the future.
    """
    try:
        numbers = parse_serials(serials)
    except SerialsInvalid as exc:
        raise BatchInvalid(_("The serial numbers cannot be read: %(why)s.") % {
            "why": str(exc)}) from exc
    collected_by = (collected_by or "").strip()
    if not collected_by:
        raise BatchInvalid(_("Say who collected the forms."))
    if questionnaire.province_set_id != province.province_set_id:
        raise BatchInvalid(_("%(province)s is not a province of %(questionnaire)s.") % {
            "province": province.name, "questionnaire": questionnaire.code})
    today = timezone.localdate()
    if arrived_on > today:
        raise BatchInvalid(_("The arrival date %(date)s is in the future.") % {
            "date": arrived_on.isoformat()})
    if questionnaire.closes_at is not None and arrived_on > timezone.localdate(
            questionnaire.closes_at):
        raise BatchInvalid(_("%(questionnaire)s closed on %(closed)s; forms that arrived "
                             "later are not part of its sample.") % {
            "questionnaire": questionnaire.code,
            "closed": timezone.localdate(questionnaire.closes_at).isoformat()})
    _check_overlap(questionnaire, numbers)
    try:
        with transaction.atomic():
            batch = PaperBatch.objects.create(
                questionnaire=questionnaire, province=province, serials=serials.strip(),
                collected_by=collected_by, arrived_on=arrived_on, registered_by=by)
            PaperForm.objects.bulk_create(
                PaperForm(batch=batch, questionnaire=questionnaire, serial=n) for n in numbers)
            record_event(user=by, action=AuditEvent.Action.PAPER_BATCH, via="web",
                         batch=batch.pk, questionnaire=questionnaire.code,
                         province=province.code, serials=batch.serials, forms=len(numbers),
                         collected_by=collected_by, arrived_on=arrived_on.isoformat())
    except IntegrityError:
        _check_overlap(questionnaire, numbers)  # another batch took them meanwhile
        raise
    return batch


def _check_overlap(questionnaire: Questionnaire, numbers: list[int]) -> None:
    taken = list(PaperForm.objects.filter(questionnaire=questionnaire, serial__in=numbers)
                 .order_by("serial").values_list("serial", "batch_id"))
    if taken:
        raise SerialsOverlap(_("These serial numbers are already in another batch of "
                               "%(questionnaire)s: %(serials)s.") % {
            "questionnaire": questionnaire.code,
            "serials": _listed([f"{s} ({_('batch')} {b})" for s, b in taken])})


# --- keying -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyingOutcome:
    serial: int
    status: str  # PaperForm.Status after this step
    differing: list[str]  # question codes the two keyings answered differently
    submission_key: str | None = None  # set once the form is stored


def clean_keyed(schema: Schema, typed: dict[str, str]) -> dict[str, Any]:
    """What an operator typed, cleaned as every channel cleans answers, as JSON.

    Raises AnswersRefused with one message per question in the active language.
    """
    raw = raw_from_keyboard(schema, typed)
    answers, problems = clean_answers(schema, raw)
    if problems:
        raise AnswersRefused(_("Some answers are not accepted; nothing was stored."),
                             _problem_messages(schema, raw, problems))
    return as_json(answers)


def _problem_messages(schema: Schema, raw: dict[str, Any], problems: dict[str, str]
                      ) -> dict[str, str]:
    rules = schema.by_code()
    shown: dict[str, Any] = {}
    for rule in schema.questions:  # what each question's visibility is judged on
        if rule.code in raw and rule.code not in problems:
            try:
                shown[rule.code] = clean_value(raw[rule.code], rule)
            except ValueError:
                pass
    messages: dict[str, str] = {}
    for code, english in problems.items():
        rule = rules.get(code)
        if rule is None:
            messages[code] = _("This questionnaire has no question %(code)s.") % {"code": code}
        elif code in raw and not is_visible(rule, shown):
            messages[code] = _("%(code)s is skipped when %(screen)s is not %(values)s: leave "
                               "it blank.") % {
                "code": code, "screen": rule.show_if,
                "values": _listed(sorted(rule.show_values))}
        elif code not in raw:
            messages[code] = _("An answer is required.")
        elif rule.values:
            messages[code] = _("%(value)s is not among the options: %(allowed)s.") % {
                "value": raw[code], "allowed": _listed(sorted(rule.values))}
        else:
            messages[code] = _("Not accepted: %(why)s.") % {"why": english}
    return messages


def next_serial(*, batch: PaperBatch, operator) -> int | None:
    """The first form of the batch this operator may key: forms keyed once by someone else
    first (completing pairs), then forms not yet keyed."""
    mine = PaperKeying.objects.filter(form__batch=batch, operator=operator).values("form_id")
    open_forms = batch.forms.exclude(pk__in=mine)
    for status in (PaperForm.Status.KEYED_ONCE, PaperForm.Status.PENDING):
        serial = (open_forms.filter(status=status).order_by("serial")
                  .values_list("serial", flat=True).first())
        if serial is not None:
            return serial
    return None


def key_form(*, batch: PaperBatch, serial: int, operator, typed: dict[str, str],
             started_at: datetime | None = None) -> KeyingOutcome:
    """Store one operator's keying of a form; on the second keying compare and, if both
    agree, store the submission; audited.

    The form's row is locked for the whole step, so two operators keying one form at once
    are taken one after the other: never three keyings, never two submissions.
    Raises a PaperRefused subclass (nothing stored) for a serial outside the batch, a form
    already stored, already keyed by this operator or waiting for the supervisor, and for
    answers that are not accepted.
    """
    questionnaire = batch.questionnaire
    schema = questionnaire_schema(questionnaire)
    if not batch.forms.filter(serial=serial).exists():
        raise SerialNotInBatch(_("Form %(serial)s is not in this batch (serial numbers "
                                 "%(serials)s).") % {"serial": serial,
                                                      "serials": batch.serials})
    answers = clean_keyed(schema, typed)
    with transaction.atomic():
        form = PaperForm.objects.select_for_update().get(batch=batch, serial=serial)
        if form.status == PaperForm.Status.STORED:
            raise AlreadyStored(_("Form %(serial)s is already stored; it is not keyed "
                                  "again.") % {"serial": serial})
        if form.status == PaperForm.Status.DISAGREE:
            raise AwaitingResolution(_("Form %(serial)s was keyed twice with differences and "
                                       "waits for the supervisor.") % {"serial": serial})
        earlier = list(form.keyings.all())
        if any(k.operator_id == operator.pk for k in earlier):
            raise AlreadyKeyed(_("You have already keyed form %(serial)s; the second keying "
                                 "must be by another operator.") % {"serial": serial})
        PaperKeying.objects.create(form=form, operator=operator, answers=answers,
                                   started_at=started_at)
        codes: list[str] = []
        key = None
        if not earlier:
            form.status = PaperForm.Status.KEYED_ONCE
        else:
            codes = differing(schema, earlier[0].answers, answers)
            if codes:
                form.status = PaperForm.Status.DISAGREE
                ids = dict(questionnaire.questions.filter(code__in=codes)
                           .values_list("code", "pk"))
                PaperDifference.objects.bulk_create(
                    PaperDifference(form=form, question_id=ids[c],
                                    first=earlier[0].answers.get(c), second=answers.get(c))
                    for c in codes)
            else:
                key = _store(form, answers)
        form.save(update_fields=["status", "stored_at"])
        record_event(user=operator, action=AuditEvent.Action.PAPER_KEYED, via="web",
                     batch=batch.pk, questionnaire=questionnaire.code,
                     province=batch.province.code, serial=serial, keying=len(earlier) + 1,
                     outcome=form.status, differing=codes,
                     **({"submission": key} if key else {}))
    return KeyingOutcome(serial, form.status, codes, key)


def _store(form: PaperForm, answers: dict[str, Any]) -> str:
    """Record the form's agreed answers through the one intake path; the caller holds the
    form's lock and saves its status."""
    questionnaire = form.questionnaire
    schema = questionnaire_schema(questionnaire)
    typed, problems = clean_answers(schema, answers)
    if problems:  # agreed keyings were each cleaned: only a changed questionnaire gets here
        raise AnswersRefused(_("Some answers are not accepted; nothing was stored."),
                             _problem_messages(schema, answers, problems))
    key = submission_key(questionnaire.code, form.serial)
    item = NewSubmission(key=key, province=form.batch.province, submitted_at=None,
                         answers=typed)
    try:
        record_submissions(questionnaire=questionnaire, submissions=[item],
                           channel=Submission.Channel.PAPER)
    except SubmissionConflict as exc:
        raise AlreadyStored(_("Form %(serial)s is already stored with other answers.") % {
            "serial": form.serial}) from exc
    form.status = PaperForm.Status.STORED
    form.stored_at = timezone.now()
    return key


# --- reconciliation ----------------------------------------------------------------------------

def resolve_form(*, form: PaperForm, supervisor, typed: dict[str, str]) -> KeyingOutcome:
    """The supervisor's reading of the paper where two keyings differed: the agreed answers
    plus these become the submission; audited with both keyings' values and the paper's.

    `typed` holds a value (blank: left blank on the paper) for every differing question;
    other codes are ignored. Raises NothingToResolve when the form is not in disagreement,
    AnswersRefused when the answers so made are not accepted; nothing is stored then.
    """
    questionnaire = form.questionnaire
    schema = questionnaire_schema(questionnaire)
    with transaction.atomic():
        form = (PaperForm.objects.select_for_update().select_related("batch__province")
                .get(pk=form.pk))
        if form.status != PaperForm.Status.DISAGREE:
            raise NothingToResolve(_("Form %(serial)s has no disagreement to resolve.") % {
                "serial": form.serial})
        keyings = list(form.keyings.all())
        differences = list(form.differences.select_related("question")
                           .order_by("question__position"))
        codes = [d.question.code for d in differences]
        agreed = {c: v for c, v in keyings[0].answers.items() if c not in codes}
        chosen = {c: typed.get(c, "") for c in codes}
        merged = {**{c: as_typed(v) for c, v in agreed.items()}, **chosen}
        answers = clean_keyed(schema, merged)
        PaperResolution.objects.create(form=form, resolved_by=supervisor,
                                       answers={c: answers.get(c) for c in codes})
        key = _store(form, answers)
        form.save(update_fields=["status", "stored_at"])
        record_event(user=supervisor, action=AuditEvent.Action.PAPER_RESOLVED, via="web",
                     batch=form.batch_id, questionnaire=questionnaire.code,
                     province=form.batch.province.code, serial=form.serial, submission=key,
                     changes={d.question.code: {"first": d.first, "second": d.second,
                                                "paper": answers.get(d.question.code)}
                              for d in differences})
    return KeyingOutcome(form.serial, form.status, codes, key)
