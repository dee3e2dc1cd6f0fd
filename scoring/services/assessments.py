"""Self-assessed and appraised scores: importing them, and keeping every change."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from scoring.models import Assessment, AssessmentChange, Index
from scoring.services.results import recompute_provinces
from surveys.imports import FileInvalid, read_csv
from surveys.services import provinces_by_code

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
    if index.kind != "par":
        raise FileInvalid([f"{index.code} is a {index.kind} index; it has no appraisal scores"])
    _, rows = read_csv(data, required=ASSESSMENT_COLUMNS, known=set(ASSESSMENT_COLUMNS))
    provinces = provinces_by_code(index.province_set)
    components = {n.code: n for n in index.nodes.filter(level=3)}
    problems: list[str] = []
    updates: dict[tuple[int, int], dict[str, Decimal]] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        pcode = row.cells["province_code"].strip()
        ccode = row.cells["component_code"].strip()
        province, node = provinces.get(pcode), components.get(ccode)
        if province is None:
            problems.append(f"line {row.line}, column province_code: unknown province {pcode!r}")
        if node is None:
            problems.append(f"line {row.line}, column component_code: {index.code} has no "
                            f"component {ccode!r}")
        elif node.method != "appraisal":
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
        updates[(province.pk, node.pk)] = values
    if problems:
        raise FileInvalid(problems)
    changed = apply_scores(index=index, updates=updates, user=user, via=via)
    recompute_provinces(index=index, province_ids={p for p, _ in updates})
    return AssessmentOutcome(len(rows), changed)


def apply_scores(*, index: Index, updates: dict[tuple[int, int], dict[str, Decimal]], user,
                 via: str) -> int:
    """Set scores (province id, node id) -> {field: value}; returns how many values changed."""
    changed = 0
    with transaction.atomic():
        # Make the rows first (a no-op where they exist), so that two people saving at
        # once queue on the same row locks instead of both creating it.
        Assessment.objects.bulk_create(
            [Assessment(index=index, province_id=p, node_id=n) for p, n in updates],
            ignore_conflicts=True)
        existing = {
            (a.province_id, a.node_id): a
            for a in Assessment.objects.select_for_update().filter(index=index)
        }
        history = []
        for (province_id, node_id), values in updates.items():
            assessment = existing[(province_id, node_id)]
            dirty = []
            for field, value in values.items():
                old = getattr(assessment, field)
                if old == value:
                    continue
                setattr(assessment, field, value)
                dirty.append(field)
                history.append(AssessmentChange(assessment=assessment, field=field,
                                                old_value=old, new_value=value,
                                                changed_by=user, via=via))
            if dirty:
                assessment.save(update_fields=[*dirty, "updated_at"])
                changed += len(dirty)
        AssessmentChange.objects.bulk_create(history)
    return changed
