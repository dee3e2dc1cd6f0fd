"""Paper forms, pure: serial-number lists, typed answers as JSON, comparing two keyings.

No Django import: every function runs without a database.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from surveys.fingerprint import AnswerValue
from surveys.validation import QuestionRule, Schema

MAX_FORMS_PER_BATCH = 5000
MAX_SERIAL = 999_999_999
# Fixed forever: changing it would give a form already stored a second submission id.
PAPER_NAMESPACE = uuid.UUID("6b1c35f2-53c4-4b7e-9a55-0c2f4f2e7a11")
_RANGE = re.compile(r"^(\d+)\s*[-–]\s*(\d+)$")


class SerialsInvalid(ValueError):
    """A list of serial numbers that cannot be read; the message says where."""


def parse_serials(text: str) -> list[int]:
    """The serial numbers of "1001-1050, 1077 1080" in ascending order.

    Parts are separated by commas, semicolons or line breaks; a part is a number or a range
    `a-b` with a <= b. Raises SerialsInvalid for an unreadable part, a serial listed twice,
    none at all or more than MAX_FORMS_PER_BATCH.
    """
    serials: list[int] = []
    for part in re.split(r"[,;\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        found = _RANGE.match(part)
        if found:
            first, last = int(found.group(1)), int(found.group(2))
            if first > last:
                raise SerialsInvalid(f"the range {part} runs backwards")
            if last - first + 1 > MAX_FORMS_PER_BATCH:
                raise SerialsInvalid(f"the range {part} holds more than "
                                     f"{MAX_FORMS_PER_BATCH} forms")
            serials.extend(range(first, last + 1))
        elif all(p.isdigit() for p in part.split()):
            serials.extend(int(p) for p in part.split())
        else:
            raise SerialsInvalid(f"{part!r} is not a serial number or a range like 1001-1050")
    if not serials:
        raise SerialsInvalid("no serial number is given")
    if len(serials) > MAX_FORMS_PER_BATCH:
        raise SerialsInvalid(f"a batch holds at most {MAX_FORMS_PER_BATCH} forms")
    seen: set[int] = set()
    for serial in serials:
        if serial in seen:
            raise SerialsInvalid(f"{serial} is listed twice")
        if not 1 <= serial <= MAX_SERIAL:
            raise SerialsInvalid(f"{serial} is not a serial number from 1 to {MAX_SERIAL}")
        seen.add(serial)
    return sorted(serials)


def submission_key(questionnaire_code: str, serial: int) -> str:
    """The submission id of a paper form: the same for the same questionnaire and serial,
    whoever keys or resolves it, so a form can only ever be one submission."""
    return str(uuid.uuid5(PAPER_NAMESPACE, f"{questionnaire_code}:{serial}"))


def typed_choices(raw: str, rule: QuestionRule) -> str:
    """A multiple-choice answer as typed on the keyboard ("24", "2 4", "2,4") in the
    `|`-separated form validation reads; digits run together are single-digit options
    when every option of the question is a single digit."""
    text = raw.strip()
    if not text:
        return ""
    parts = [p for p in re.split(r"[\s,;|+]+", text) if p]
    if len(parts) == 1 and len(text) > 1 and text.isdigit() and all(
            0 <= v <= 9 for v in rule.values):
        parts = list(text)
    return "|".join(parts)


def raw_from_keyboard(schema: Schema, typed: Mapping[str, str]) -> dict[str, Any]:
    """What an operator typed per question, shaped for `clean_answers` (blanks dropped)."""
    rules = schema.by_code()
    raw: dict[str, Any] = {}
    for code, value in typed.items():
        text = str(value).strip()
        if not text:
            continue
        rule = rules.get(code)
        raw[code] = typed_choices(text, rule) if rule and rule.type == "multi_choice" else text
    return raw


def as_json(answers: Mapping[str, AnswerValue]) -> dict[str, Any]:
    """Cleaned answers as JSON values: options as numbers, choices as lists, numbers as text."""
    out: dict[str, Any] = {}
    for code, value in answers.items():
        if isinstance(value, tuple):
            out[code] = list(value)
        elif isinstance(value, Decimal):
            out[code] = format(value.normalize(), "f")
        else:
            out[code] = value
    return out


def differing(schema: Schema, first: Mapping[str, Any], second: Mapping[str, Any]
              ) -> list[str]:
    """Codes, in question order, of the questions two keyings answered differently
    (one of them blank counts as different)."""
    return [q.code for q in schema.questions if first.get(q.code) != second.get(q.code)]


def as_typed(value: Any) -> str:
    """A stored JSON answer as an operator would type it ("2 4" for a multiple choice)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)
