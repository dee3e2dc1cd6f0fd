"""Steps shared by the browser tests: answering a section, moving on, reading the page."""

from __future__ import annotations

import re

from surveys.models import Answer

Value = int | list[int] | str


def answer(page, answers: dict[str, Value]) -> None:
    """Tick radio buttons / checkboxes by option value, or type text, per question code."""
    for code, value in answers.items():
        if isinstance(value, str):
            page.fill(f'textarea[name="{code}"]', value)
            continue
        for option in value if isinstance(value, list) else [value]:
            page.check(f'input[name="{code}"][value="{option}"]')


def press(page, action: str):
    """Press Back, Next or Submit and wait for the page it leads to; returns its response."""
    with page.expect_navigation() as navigation:
        page.click(f'button[name="action"][value="{action}"]')
    return navigation.value


def shown_questions(page) -> list[str]:
    """Codes of the questions on the page that are not hidden, in order."""
    return page.eval_on_selector_all(
        "fieldset.question", "els => els.filter(e => !e.hidden).map(e => e.id.slice(2))")


def progress(page) -> tuple[int, int]:
    """The progress indicator as (this part, number of parts)."""
    text = page.locator("[aria-live=polite] span").first.inner_text()
    step, steps = re.fullmatch(r"\D*(\d+)\D+(\d+)\D*", text).groups()
    return int(step), int(steps)


def checked(page, code: str) -> list[int]:
    """Values of the ticked options of a question."""
    return [int(v) for v in page.eval_on_selector_all(
        f'input[name="{code}"]:checked', "els => els.map(e => e.value)")]


def stored_answers(submission) -> dict[str, Value]:
    """A submission's stored answers, shaped like the dictionaries given to `answer`."""
    out: dict[str, Value] = {}
    for code, qtype, option, text in (
        Answer.objects.filter(submission=submission).order_by("question__position", "option_value")
        .values_list("question__code", "question__type", "option_value", "text_value")
    ):
        if qtype == "multi_choice":
            out.setdefault(code, []).append(option)
        else:
            out[code] = option if option is not None else text
    return out
