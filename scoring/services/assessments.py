"""Self-assessed and appraised scores and their notes: one service for the appraisal page
and for `import_assessments`, keeping every change in the history and the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from scoring.models import Assessment, AssessmentChange, AuditEvent, Index
from scoring.rules.vocabulary import IndexKind, Level, Method
from scoring.services import outbox
from scoring.services.audit import record_event
from scoring.services.results import refresh_pending
from surveys.imports import FileInvalid, read_csv
from surveys.models import Province
from surveys.selectors import provinces_by_code
from surveys.services import earlier_province_note

ASSESSMENT_COLUMNS = ("province_code", "component_code", "self_score", "appraised_score")
SCORE_FIELDS = ("self_score", "appraised_score")


@dataclass(frozen=True)
class AssessmentOutcome:
    rows: int
    changed: int


def _score(text: str, maximum: Decimal, where: str) -> tuple[Decimal | None, str | None]:
    text = text.strip()
    if not text:
        return None, None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, f"{where}: {text!r} is not a number"
    if not value.is_finite():
        return None, f"{where}: {text!r} is not a number"
    if value != value.quantize(Decimal("0.01")):
        return None, f"{where}: {text} has more than 2 decimals"
    if not 0 <= value <= maximum:
        return None, f"{where}: {text} is outside 0..{maximum} (the component's max points)"
    return value, None


def import_assessments(*, index: Index, data: bytes, user=None, via: str = "import"
                       ) -> AssessmentOutcome:
    """Check an assessments file whole, then apply it, recording every changed score.

    An empty cell leaves that score as it is. Raises FileInvalid listing every
    problem; nothing is written then.
    """
    if index.kind != IndexKind.PAR:
        raise FileInvalid([f"{index.code} is a {index.kind} index; it has no appraisal scores"])
    _, rows = read_csv(data, required=ASSESSMENT_COLUMNS, known=set(ASSESSMENT_COLUMNS))
    provinces = provinces_by_code(index.province_set)
    components = {n.code: n for n in index.nodes.filter(level=Level.LEAF)}
    problems: list[str] = []
    scores: dict[str, dict[str, dict[str, Decimal]]] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        pcode = row.cells["province_code"].strip()
        ccode = row.cells["component_code"].strip()
        province, node = provinces.get(pcode), components.get(ccode)
        if province is None:
            note = earlier_province_note(index.province_set, pcode)
            problems.append(f"line {row.line}, column province_code: "
                            f"{note or f'unknown province {pcode!r}'}")
        if node is None:
            problems.append(f"line {row.line}, column component_code: {index.code} has no "
                            f"component {ccode!r}")
        elif node.method != Method.APPRAISAL:
            problems.append(f"line {row.line}, column component_code: {ccode} is scored from "
                            "surveys, not appraised")
            node = None
        if (pcode, ccode) in seen:
            problems.append(f"line {row.line}: {pcode} / {ccode} is also on line "
                            f"{seen[(pcode, ccode)]}")
            continue
        seen[(pcode, ccode)] = row.line
        if node is None or province is None:
            continue
        values = {}
        for field in SCORE_FIELDS:
            value, problem = _score(row.cells[field], node.max_points,
                                    f"line {row.line}, column {field}")
            if problem:
                problems.append(problem)
            elif value is not None:
                values[field] = value
        scores.setdefault(pcode, {})[ccode] = values
    if problems:
        raise FileInvalid(problems)
    changed = 0
    with transaction.atomic():  # the whole file, or nothing
        for pcode, by_component in scores.items():
            changed += save_assessments(index=index, province=provinces[pcode], user=user,
                                        scores=by_component, notes={}, via=via,
                                        refresh=False).scores
    refresh_pending()
    return AssessmentOutcome(len(rows), changed)


@dataclass(frozen=True)
class Saved:
    scores: int  # score values changed
    notes: int  # notes changed


def save_assessments(
    *, index: Index, province: Province, user, scores: Mapping[str, Mapping[str, Decimal]],
    notes: Mapping[str, Mapping[str, str]], via: str, refresh: bool = True,
) -> Saved:
    """Set a province's scores and notes: component code -> {field: value}.

    One transaction writes the scores, the notes, their history (who, when, old → new,
    web or import) and an audit event for each change, and marks the province's
    results stale; it locks only the assessments it changes. Fields are `self_score`,
    `appraised_score` (scores) and `evidence`, `comment` (notes); a value equal to the
    stored one is no change. With `refresh` the results are brought up to date after.
    """
    codes = sorted(set(scores) | set(notes))
    if not codes:
        return Saved(0, 0)
    nodes = {n.code: n for n in index.nodes.filter(level=Level.LEAF, method=Method.APPRAISAL,
                                                   code__in=codes)}
    unknown = sorted(set(codes) - set(nodes))
    if unknown:
        raise ValueError(f"{index.code} has no appraisal component {', '.join(unknown)}")
    changed_scores = changed_notes = 0
    with transaction.atomic():
        # Make the rows first (a no-op where they exist), so that two people saving at once
        # queue on the same row locks instead of both creating them.
        Assessment.objects.bulk_create(
            [Assessment(index=index, province=province, node=nodes[c]) for c in codes],
            ignore_conflicts=True)
        rows = {a.node_id: a for a in Assessment.objects.select_for_update().filter(
            index=index, province=province, node__in=[nodes[c].pk for c in codes])}
        history, events = [], []
        for code in codes:
            assessment = rows[nodes[code].pk]
            dirty = []
            for field, value in scores.get(code, {}).items():
                old = getattr(assessment, field)
                if old == value:
                    continue
                setattr(assessment, field, value)
                dirty.append(field)
                changed_scores += 1
                history.append(AssessmentChange(assessment=assessment, field=field,
                                                old_value=old, new_value=value,
                                                changed_by=user, via=via))
                events.append((AuditEvent.Action.SCORE_CHANGED, {
                    "component": code, "field": field, "old": _text(old), "new": _text(value)}))
            for field, text in notes.get(code, {}).items():
                old = getattr(assessment, field)
                if old == text:
                    continue
                setattr(assessment, field, text)
                dirty.append(field)
                changed_notes += 1
                history.append(AssessmentChange(assessment=assessment, field=field,
                                                old_text=old, new_text=text,
                                                changed_by=user, via=via))
                events.append((AuditEvent.Action.NOTE_CHANGED, {
                    "component": code, "field": field, "old": old, "new": text}))
            if dirty:
                assessment.save(update_fields=[*dirty, "updated_at"])
        AssessmentChange.objects.bulk_create(history)
        for action, detail in events:
            record_event(user=user, action=action, index=index.code, province=province.code,
                         via=via, **detail)
        if changed_scores:
            outbox.mark_stale([(index.pk, province.pk)])
    if changed_scores and refresh:
        refresh_pending()
    return Saved(changed_scores, changed_notes)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"
