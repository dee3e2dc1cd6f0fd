"""Steps and data shared by the browser tests: answering a section, moving on, reading the page,
signing in, screenshots and axe-core's findings; the viewports and the answers ticked."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import axe_playwright_python
from django.conf import settings

from surveys.models import Answer
from tests.helpers import PASSWORD

Value = int | list[int] | str

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000
# the `demo` fixture: the bundled index the review tests read, and its officer's province
INDEX, OFFICER_PROVINCE = "par-2024", "74"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
MIN_BYTES = 10_000
AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
SERIOUS = {"serious", "critical"}

# What a citizen ticks in the SIPAS 2025 survey, section by section.
PROFILE = {"A01": 2, "A02": 3, "A03": 1, "A04": 5, "A05": 4, "A06": 1, "A07": 3}
POLICY_MAKING = {f"P{n:02d}": 4 for n in range(1, 8)}  # all satisfied: 100 %
IMPLEMENTATION = {f"P{n:02d}": 3 for n in range(8, 15)}  # all neutral: 0 %
SCREENING = {"U01": 2}  # no one-stop shop visit: sections S1-S5 are skipped
PRIORITIES = {"Z01": [2, 4], "Z02": "Cần rút ngắn thời gian chờ."}

# What an official ticks in the 2025 department leaders' questionnaire, section by section.
ABOUT = {"L01": 2, "L02": 3}
DIRECTION = {"L03": 4, "L04": 3, "L05": 1, "L06": 4, "L07": 2, "L08": 3}  # L06 shown by L05 = 1
APPARATUS = {f"L{n:02d}": 3 for n in range(9, 15)}
FINANCE = {"L15": 2, "L17": 4, "L18": 3, "L19": 9}  # L16 stays hidden with L15 = 2
IMPACT = {"L20": 4, "L21": 4, "L22": 3, "L23": 1}


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


def sign_in(page, base_url: str, username: str, *, lands_on: str = "/review/") -> None:
    """Fill in the real log-in form as a user of tests.helpers.make_user; staff land on
    `lands_on` (the review home page unless their role says otherwise)."""
    assert page.goto(f"{base_url}/accounts/login/").status == 200
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")  # the navbar's EN/VI buttons are submits too
    assert urlparse(page.url).path == lands_on


def shoot(page, name: str) -> Path:
    """A full-page screenshot saved to var/screenshots/`name`, of a plausible size."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.is_file()
    assert path.stat().st_size > MIN_BYTES, f"{name} is only {path.stat().st_size} bytes"
    return path


def violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    page.evaluate(AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {n['target']}" for v in result["violations"]
            if v["impact"] in SERIOUS for n in v["nodes"]]
