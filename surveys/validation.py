"""Cleaning one respondent's answers against a questionnaire. Pure: no database.

Every channel (CSV import, web form, JSON API) turns its raw values into the
same typed answers here, so they are validated the same way. Problems are
keyed by question code; messages are plain English sentences (the web form
shows translated ones of its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from surveys.fingerprint import AnswerValue


@dataclass(frozen=True)
class QuestionRule:
    code: str
    type: str
    required: bool
    values: frozenset[int]  # every answerable option value
    substantive: tuple[int, ...]
    show_if: str
    show_values: frozenset[int]
    min_value: Decimal | None
    max_value: Decimal | None
    max_length: int


@dataclass(frozen=True)
class Schema:
    """What validation needs to know about a questionnaire, in question order."""

    code: str
    questions: tuple[QuestionRule, ...]

    def by_code(self) -> dict[str, QuestionRule]:
        return {q.code: q for q in self.questions}


class Blank:
    """Marker for 'no answer' (an empty cell, null, an empty list)."""


BLANK = Blank()


def _is_blank(raw: Any) -> bool:
    return raw is None or raw is BLANK or (isinstance(raw, str) and not raw.strip()) or (
        isinstance(raw, list | tuple) and not raw)


def _option(raw: Any, rule: QuestionRule) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not an option")
    if isinstance(raw, str):
        text = raw.strip()
        if not text.lstrip("-").isdigit():
            raise ValueError(f"{raw!r} is not an option value")
        raw = int(text)
    if not isinstance(raw, int):
        raise ValueError(f"{raw!r} is not an option value")
    if raw not in rule.values:
        allowed = ", ".join(str(v) for v in sorted(rule.values))
        raise ValueError(f"{raw} is not one of the options ({allowed})")
    return raw


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def clean_value(raw: Any, rule: QuestionRule) -> AnswerValue:
    """One raw value (string, number or list) as a typed answer; ValueError says why not."""
    if rule.type in ("scale", "single_choice"):
        return _option(raw, rule)
    if rule.type == "multi_choice":
        parts = raw.split("|") if isinstance(raw, str) else raw
        if not isinstance(parts, list | tuple):
            raise ValueError(f"{raw!r} is not a list of options")
        values = tuple(_option(p, rule) for p in parts)
        if len(set(values)) != len(values):
            raise ValueError("an option is chosen twice")
        return tuple(sorted(values))
    if rule.type == "number":
        if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
            raise ValueError(f"{raw!r} is not a number")
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError(f"{raw!r} is not a number") from None
        if not number.is_finite():
            raise ValueError(f"{raw!r} is not a number")
        if rule.min_value is not None and number < rule.min_value:
            raise ValueError(f"{number} is below the minimum {_plain(rule.min_value)}")
        if rule.max_value is not None and number > rule.max_value:
            raise ValueError(f"{number} is above the maximum {_plain(rule.max_value)}")
        if number != number.quantize(Decimal("0.0001")) or abs(number) >= 10**10:
            raise ValueError(f"{number} has too many digits")
        return number
    if not isinstance(raw, str):
        raise ValueError("must be text")
    text = raw.strip()
    if "\x00" in text:
        raise ValueError("contains a NUL character")
    if len(text) > rule.max_length:
        raise ValueError(f"is {len(text)} characters long; the limit is {rule.max_length}")
    return text


def is_visible(rule: QuestionRule, cleaned: Mapping[str, AnswerValue]) -> bool:
    """A question with show_if is shown only when the earlier answer is one of its values."""
    if not rule.show_if:
        return True
    given = cleaned.get(rule.show_if)
    if isinstance(given, tuple):
        return any(v in rule.show_values for v in given)
    return given in rule.show_values


def clean_answers(
    schema: Schema, raw: Mapping[str, Any], *, partial: bool = False
) -> tuple[dict[str, AnswerValue], dict[str, str]]:
    """Clean a respondent's raw answers; returns (answers, problems by question code).

    Unknown question codes, answers to hidden questions and missing required
    answers are problems. With `partial` (a draft), missing answers are not.
    """
    rules = schema.by_code()
    problems: dict[str, str] = {}
    for code in raw:
        if code not in rules:
            problems[code] = f"{schema.code} has no question {code!r}"
    cleaned: dict[str, AnswerValue] = {}
    for rule in schema.questions:
        value = raw.get(rule.code, BLANK)
        visible = is_visible(rule, cleaned)
        if _is_blank(value):
            if visible and rule.required and not partial:
                problems[rule.code] = "an answer is required"
            continue
        if not visible:
            problems[rule.code] = (
                f"is not asked when {rule.show_if} is not one of "
                f"{', '.join(str(v) for v in sorted(rule.show_values))}"
            )
            continue
        try:
            answer = clean_value(value, rule)
        except ValueError as exc:
            problems[rule.code] = str(exc)
            continue
        if answer == "":
            if rule.required and not partial:
                problems[rule.code] = "an answer is required"
            continue
        cleaned[rule.code] = answer
    return cleaned, problems


def prune_hidden(schema: Schema, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Drop answers to questions that the other answers now hide (the respondent went back
    and changed a screening answer)."""
    kept: dict[str, Any] = {}
    typed: dict[str, AnswerValue] = {}
    for rule in schema.questions:
        if rule.code not in answers:
            continue
        if not is_visible(rule, typed):
            continue
        kept[rule.code] = answers[rule.code]
        try:
            typed[rule.code] = clean_value(answers[rule.code], rule)
        except ValueError:
            pass
    return kept
