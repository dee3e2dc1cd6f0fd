"""Paper forms, pure: serial lists, keyboard answers, submission ids, differences."""

import uuid

import pytest

from surveys.paper import (
    SerialsInvalid,
    as_json,
    as_typed,
    differing,
    parse_serials,
    raw_from_keyboard,
    submission_key,
    typed_choices,
)
from surveys.validation import QuestionRule, Schema


def rule(code, qtype="scale", values=(1, 2, 3, 4, 5, 9), show_if="", show_values=()):
    return QuestionRule(code=code, type=qtype, required=True, values=frozenset(values),
                        substantive=tuple(values), show_if=show_if,
                        show_values=frozenset(show_values), min_value=None, max_value=None,
                        max_length=100)


SCHEMA = Schema("q", (rule("U01", "single_choice", (1, 2)), rule("Q01"),
                      rule("Z01", "multi_choice", (1, 2, 3)), rule("T01", "text", ())))


def test_serials_are_read_from_ranges_and_lists():
    assert parse_serials("1001-1003, 1010\n1012 1014; 7") == [7, 1001, 1002, 1003, 1010,
                                                               1012, 1014]
    assert parse_serials("5 – 6") == [5, 6]


@pytest.mark.parametrize(("text", "why"), [
    ("", "no serial number is given"),
    ("12-10", "the range 12-10 runs backwards"),
    ("1-3, 2", "2 is listed twice"),
    ("A12", "'A12' is not a serial number or a range like 1001-1050"),
    ("0", "0 is not a serial number from 1 to 999999999"),
    ("1-5001", "the range 1-5001 holds more than 5000 forms"),
])
def test_unreadable_serials_say_why(text, why):
    with pytest.raises(SerialsInvalid) as caught:
        parse_serials(text)
    assert str(caught.value) == why


def test_a_form_has_one_submission_id_whoever_keys_it():
    key = submission_key("sipas-2024", 1002)
    assert key == submission_key("sipas-2024", 1002)
    assert uuid.UUID(key).version == 5 and len(key) == 36
    assert key != submission_key("sipas-2024", 1003)
    assert key != submission_key("sipas-2025", 1002)


def test_multiple_choices_typed_run_together_or_separated():
    z01 = SCHEMA.questions[2]
    assert typed_choices("13", z01) == "1|3"
    assert typed_choices("1 3", z01) == "1|3"
    assert typed_choices("1,3", z01) == "1|3"
    assert typed_choices("", z01) == ""
    two_digit = rule("Z02", "multi_choice", (1, 10, 12))
    assert typed_choices("10 12", two_digit) == "10|12"
    assert typed_choices("12", two_digit) == "12"


def test_keyboard_answers_drop_blanks_and_keep_text_as_typed():
    assert raw_from_keyboard(SCHEMA, {"U01": "1", "Q01": " ", "Z01": "31",
                                      "T01": " Tốt lắm "}) == {
        "U01": "1", "Z01": "3|1", "T01": "Tốt lắm"}


def test_two_keyings_differ_where_one_is_blank_or_another_value():
    first = {"U01": 1, "Q01": 4, "Z01": [1, 3]}
    second = {"U01": 1, "Q01": 5, "Z01": [1, 3], "T01": "x"}
    assert differing(SCHEMA, first, second) == ["Q01", "T01"]
    assert differing(SCHEMA, first, dict(first)) == []


def test_answers_as_json_and_back_as_typed():
    from decimal import Decimal

    assert as_json({"Q01": 4, "Z01": (1, 3), "N01": Decimal("2.50"), "T01": "a"}) == {
        "Q01": 4, "Z01": [1, 3], "N01": "2.5", "T01": "a"}
    assert [as_typed(v) for v in (4, [1, 3], "2.5", None)] == ["4", "1 3", "2.5", ""]
