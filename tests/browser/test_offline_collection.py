"""The offline collection app in Chromium: cached after one online sign-in, filled with the
network off, records kept across a browser restart and an app update, sent exactly once
when the network returns, invisible to another enumerator on the same browser profile.

Each test runs a persistent browser profile (a user-data directory), so that closing
Chromium and opening it again keeps the service worker, its caches and IndexedDB, as on
an enumerator's phone.
"""

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from scoring.models import Role
from surveys.models import Answer, Province, Submission
from surveys.selectors import questionnaire_schema
from surveys.validation import clean_answers
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, PHONE, TIMEOUT_MS, violations
from tests.helpers import PASSWORD, make_user
from tests.vietnamese import english_or_codes

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SUBMIT = "**/collect/api/submissions"
# Three surveys as an enumerator fills them: ticks by option value, typed numbers and text.
SURVEYS = [
    {"U01": 1, "Q01": 5, "Q02": 4, "Z01": [1, 3], "N01": "2", "T01": "Nhanh gọn"},
    {"U01": 2, "Q01": 3, "Q03": 9},  # U01 = 2: Q02 is not asked
    {"U01": 1, "Q01": 1, "Q02": 2, "N01": "12.5"},
]
STORED = [
    {"U01": 1, "Q01": 5, "Q02": 4, "Z01": [1, 3], "N01": "2", "T01": "Nhanh gọn"},
    {"U01": 2, "Q01": 3, "Q03": 9},
    {"U01": 1, "Q01": 1, "Q02": 2, "N01": "12.5"},
]


@pytest.fixture
def field(live_server, mini_questionnaire, settings, tmp_path):
    settings.COLLECT_APP_VERSION = "test-1"
    p74 = Province.objects.get(code="74")
    return {"url": live_server.url, "profile": tmp_path / "profile",
            "questionnaire": mini_questionnaire,
            "first": make_user("enumerator74", Role.ENUMERATOR, p74),
            "second": make_user("enumerator74b", Role.ENUMERATOR, p74)}


@pytest.fixture
def phone(browser):
    """Open Chromium on a profile directory; every one opened is closed after the test."""
    opened = []

    def launch(profile: Path, *, unplugged: bool = False, bypass_csp: bool = False):
        """`unplugged`: Chromium starts with no network at all (every connection goes to a
        closed port), so that nothing it does at start-up (a pending Background Sync, its
        check for a new service worker) reaches the server."""
        args = CHROMIUM_ARGS + (UNPLUGGED if unplugged else [])
        context = browser.browser_type.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=args, headless=True,
            viewport=PHONE, offline=unplugged, bypass_csp=bypass_csp)
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        page.csp_errors = []
        page.on("console", lambda m: page.csp_errors.append(m.text)
                if "Content Security Policy" in m.text else None)
        return context, page

    yield launch
    for context in opened:
        try:
            context.close()
        except Exception:  # noqa: BLE001, S110 - closed by the test already
            pass


@pytest.fixture
def server_hits():
    """Paths of the requests the server receives (to prove that offline means offline)."""
    from django.core.signals import request_started

    hits = []

    def note(sender, environ=None, **kwargs):
        path = environ.get("PATH_INFO") if environ else "?"
        # Chromium's own check for a new service worker is made by the browser, outside
        # the emulated offline network; nothing of the app's is.
        if path != "/collect/sw.js":
            hits.append(path)

    request_started.connect(note, weak=False)
    yield hits
    request_started.disconnect(note)


# A proxy on a port nothing listens on, for every address including this machine's.
UNPLUGGED = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


def plug_in(context, posts: list, *, lose_first_acknowledgement: bool = False) -> None:
    """The network returns to a Chromium started `unplugged`: Playwright carries every
    request to the server and notes each submission sent as (submission_id, status). With
    `lose_first_acknowledgement`, the first submission reaches the server and is stored,
    but its answer never reaches the app, as when the network drops at that moment."""

    def carry(route):
        response = route.fetch()
        request = route.request
        if request.method == "POST" and request.url.endswith("/collect/api/submissions"):
            posts.append((json.loads(request.post_data)["submission_id"], response.status))
            if lose_first_acknowledgement and len(posts) == 1:
                route.abort("connectionreset")
                return
        route.fulfill(response=response)

    context.route("**/*", carry)
    context.set_offline(False)


def _outage(route):
    route.abort("internetdisconnected")


def set_network(context, on: bool) -> None:
    """Switch the network off or on for the pages and the service worker alike.

    Playwright's offline emulation does not reach a service worker that Chromium starts
    by itself in a reopened profile (to fire a pending Background Sync, or to answer the
    first navigation), so the network is also cut by a route on every request.
    """
    if on:
        context.unroute("**/*", _outage)
        context.set_offline(False)
    else:
        context.set_offline(True)
        context.route("**/*", _outage)


def sign_in(page, base, username):
    assert page.goto(f"{base}/accounts/login/?next=/collect/").status == 200
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert urlparse(page.url).path == "/collect/"
    wait_ready(page)


def wait_ready(page):
    """The app has started, and its service worker controls the page (its files are cached)."""
    page.wait_for_function(
        "() => document.querySelector('#collect').dataset.ready === 'true'")


def wait_cached(page):
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null && "
                           "document.querySelector('#collect').dataset.cached === 'true'")


def count(page, name):
    return int(page.inner_text(f"#count-{name}"))


def wait_count(page, name, n):
    page.wait_for_function(f"() => document.querySelector('#count-{name}').textContent === '{n}'",
                           timeout=30_000)


def fill_survey(page, answers):
    """Fill and save a new survey while sending fails or the network is off: one more waits."""
    waiting = count(page, "waiting")
    page.click("#questionnaires button")
    page.wait_for_selector("#survey:not([hidden])")
    for code, value in answers.items():
        if isinstance(value, str):
            page.fill(f'[name="{code}"]', value)
            continue
        for option in value if isinstance(value, list) else [value]:
            page.check(f'input[name="{code}"][value="{option}"]')
    page.click("#survey-form button[type=submit]")
    page.wait_for_selector("#home:not([hidden])")
    wait_count(page, "waiting", waiting + 1)


def stored(submission):
    out = {}
    for code, qtype, option, number, text in (
        Answer.objects.filter(submission=submission).order_by("question__position",
                                                              "option_value")
        .values_list("question__code", "question__type", "option_value", "number_value",
                     "text_value")):
        if qtype == "multi_choice":
            out.setdefault(code, []).append(option)
        elif qtype == "number":
            out[code] = format(number.normalize(), "f")
        else:
            out[code] = option if option is not None else text
    return out


def test_three_surveys_filled_offline_survive_a_restart_and_arrive_exactly_once(
        field, phone, server_hits):
    base = field["url"]
    context, page = phone(field["profile"])
    sign_in(page, base, "enumerator74")
    wait_cached(page)
    assert page.inner_text("#who") == "enumerator74"

    set_network(context, False)
    server_hits.clear()
    page.reload()
    wait_ready(page)
    assert page.inner_text("#network") == "Ngoại tuyến"
    assert page.inner_text("#questionnaires li span") == "Khảo sát thử"
    # the same checks as the server, before anything is queued
    page.click("#questionnaires button")
    page.check('input[name="U01"][value="1"]')
    assert page.is_visible("#q-Q02")
    page.check('input[name="U01"][value="2"]')
    assert page.is_hidden("#q-Q02")
    page.fill('[name="N01"]', "21")
    page.click("#survey-form button[type=submit]")
    assert page.locator("#error-summary li").all_inner_texts() == [
        "Q01: Cần có câu trả lời.", "N01: Giá trị lớn nhất được phép là 20."]
    assert page.evaluate("document.activeElement.id") == "error-summary"
    page.click("#back")
    wait_count(page, "draft", 1)
    assert count(page, "waiting") == 0
    # the draft is finished later; two more are filled from the start
    page.click("#outbox-rows tr[data-status=draft] button")
    page.fill('[name="N01"]', "")
    page.check('input[name="U01"][value="1"]')
    for code, value in SURVEYS[0].items():
        if isinstance(value, str):
            page.fill(f'[name="{code}"]', value)
        else:
            for option in value if isinstance(value, list) else [value]:
                page.check(f'input[name="{code}"][value="{option}"]')
    page.click("#survey-form button[type=submit]")
    page.wait_for_selector("#home:not([hidden])")
    wait_count(page, "waiting", 1)
    fill_survey(page, SURVEYS[1])
    fill_survey(page, SURVEYS[2])
    assert (count(page, "waiting"), count(page, "draft"), count(page, "sent")) == (3, 0, 0)
    assert page.inner_text("#space-used").endswith("KB") or page.inner_text(
        "#space-used").endswith("MB")
    assert Submission.objects.count() == 0
    ids = page.eval_on_selector_all("#outbox-rows tr", "rows => rows.map(r => r.dataset.id)")
    assert len(set(ids)) == 3 and all(len(i) == 36 for i in ids)  # client-made UUIDs
    assert page.csp_errors == []
    context.close()
    assert server_hits == []  # all of it from the service worker's cache and IndexedDB

    # Chromium again, on the same profile, with no network
    context, page = phone(field["profile"], unplugged=True)
    page.goto(f"{base}/collect/")
    wait_ready(page)
    assert page.inner_text("#who") == "enumerator74"
    assert count(page, "waiting") == 3
    assert server_hits == []
    assert Submission.objects.count() == 0

    posts = []
    plug_in(context, posts, lose_first_acknowledgement=True)
    wait_count(page, "sent", 3)
    assert count(page, "waiting") == 0 and count(page, "refused") == 0
    # stored, its acknowledgement lost; resent and acknowledged as the same; then the others
    assert [status for _, status in posts] == [201, 200, 201, 201]
    assert posts[1][0] == posts[0][0] and len({key for key, _ in posts}) == 3
    received = Submission.objects.filter(key__in=ids).order_by("received_at")
    assert received.count() == 3 and Submission.objects.count() == 3
    assert {s.channel for s in received} == {"offline"}
    assert sorted((stored(s) for s in received), key=json.dumps) == sorted(STORED,
                                                                            key=json.dumps)
    assert all(s.duration_seconds is not None for s in received)
    assert all(s.counted_at is not None for s in received)  # folded into the tallies
    receipts = page.eval_on_selector_all(
        "#outbox-rows tr[data-status=sent] td:nth-child(3)", "cells => cells.map(c => c.innerText)")
    assert sorted(receipts) == sorted(f"Đã gửi, biên nhận {s.receipt}" for s in received)
    assert page.csp_errors == []


def test_an_app_update_keeps_queued_records_and_a_survey_in_progress(field, phone, settings):
    base = field["url"]
    context, page = phone(field["profile"])
    sign_in(page, base, "enumerator74")
    wait_cached(page)
    page.wait_for_function(
        "() => document.querySelector('#collect').dataset.workerVersion === 'test-1'")
    set_network(context, False)
    fill_survey(page, SURVEYS[0])
    fill_survey(page, SURVEYS[1])
    assert count(page, "waiting") == 2
    # a third survey is half-filled when the update arrives
    page.click("#questionnaires button")
    page.check('input[name="U01"][value="1"]')
    page.check('input[name="Q01"][value="4"]')

    settings.COLLECT_APP_VERSION = "test-2"
    context.route(SUBMIT, lambda route: route.fulfill(status=503, body="down"))
    set_network(context, True)
    other = context.new_page()
    other.goto(f"{base}/collect/")
    wait_ready(other)
    other.wait_for_function(
        "() => document.querySelector('#collect').dataset.workerVersion === 'test-2'",
        timeout=30_000)
    other.wait_for_function("async () => (await caches.keys()).join() === 'par-collect-test-2'")
    assert count(other, "waiting") == 2 and count(other, "draft") == 1
    other.close()

    # the survey in progress is finished on the page opened before the update
    page.wait_for_function(
        "() => document.querySelector('#collect').dataset.workerVersion === 'test-2'")
    page.check('input[name="Q02"][value="5"]')
    page.click("#survey-form button[type=submit]")
    page.wait_for_selector("#home:not([hidden])")
    wait_count(page, "waiting", 3)
    assert Submission.objects.count() == 0
    context.unroute(SUBMIT)
    page.click("#send-now")
    wait_count(page, "sent", 3)
    assert Submission.objects.filter(channel="offline").count() == 3
    set_network(context, False)
    page.reload()
    wait_ready(page)
    assert count(page, "sent") == 3  # the new version's page, from its cache


def test_a_second_enumerator_on_the_same_profile_sees_none_of_the_first(field, phone):
    base = field["url"]
    context, page = phone(field["profile"])
    context.route(SUBMIT, lambda route: route.fulfill(status=503, body="down"))
    sign_in(page, base, "enumerator74")
    wait_cached(page)
    fill_survey(page, SURVEYS[1])
    assert count(page, "waiting") == 1
    page.click("#sign-out")
    page.wait_for_selector("#confirm-sign-out[open]")  # asked once the outbox is counted
    assert page.inner_text("#confirm-text").startswith("1 bản ghi của bạn chưa được gửi.")
    page.click("#confirm-cancel")
    page.wait_for_selector("#confirm-sign-out", state="hidden")
    assert page.is_visible("#home") and page.inner_text("#who") == "enumerator74"
    page.click("#sign-out")
    page.wait_for_selector("#confirm-sign-out[open]")
    page.click("#confirm-go")
    page.wait_for_selector("#signed-out:not([hidden])")

    sign_in(page, base, "enumerator74b")
    assert page.inner_text("#who") == "enumerator74b"
    assert (count(page, "waiting"), count(page, "sent"), count(page, "draft")) == (0, 0, 0)
    assert page.locator("#outbox-rows tr").count() == 0
    assert page.inner_text("#exports-none") != "" and page.is_visible("#exports-none")
    set_network(context, False)
    page.reload()
    wait_ready(page)
    assert page.inner_text("#who") == "enumerator74b" and count(page, "waiting") == 0
    # the first enumerator's record is still on the device, under their account only
    kept = page.evaluate("""async () => {
        const all = await new Promise((ok) => {
          const open = indexedDB.open('par-collect');
          open.onsuccess = () => { const r = open.result.transaction('records')
            .objectStore('records').getAll(); r.onsuccess = () => ok(r.result); };
        });
        return all.map(r => [r.owner, r.status]);
    }""")
    assert kept == [[field["first"].pk, "queued"]]
    page.click("#sign-out")  # offline; nothing of theirs waits: no question asked
    page.wait_for_selector("#signed-out:not([hidden])")
    set_network(context, True)
    page.reload()
    wait_ready(page)
    assert page.is_visible("#signed-out")  # the session signed out of offline was ended
    assert page.evaluate("async () => (await fetch('/collect/api/assignments')).status") == 401
    context.unroute(SUBMIT)
    sign_in(page, base, "enumerator74")
    wait_count(page, "sent", 1)
    assert Submission.objects.get().channel == "offline"


def test_refused_records_stay_with_the_reason_and_export_as_an_importable_csv(field, phone,
                                                                               tmp_path):
    base = field["url"]
    context, page = phone(field["profile"])
    sign_in(page, base, "enumerator74")
    wait_cached(page)
    set_network(context, False)
    fill_survey(page, SURVEYS[0])
    fill_survey(page, SURVEYS[2])
    field["questionnaire"].__class__.objects.filter(pk=field["questionnaire"].pk).update(
        is_open=False)
    set_network(context, True)
    page.click("#send-now")
    wait_count(page, "refused", 2)
    reasons = page.eval_on_selector_all("#outbox-rows tr[data-status=refused] td:nth-child(4)",
                                        "cells => cells.map(c => c.innerText)")
    assert reasons == ["questionnaire: this questionnaire is closed"] * 2
    assert Submission.objects.count() == 0
    with page.expect_download() as download:
        page.click("#exports button")
    path = tmp_path / "unsent.csv"
    download.value.save_as(path)
    assert download.value.suggested_filename.startswith("unsent-mini-citizens-")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "submission_id,province_code,submitted_at,U01,Q01,Q02,Q03,Z01,N01,T01"
    assert len(lines) == 3
    # a supervisor imports the file through the CSV import, once the questionnaire reopens
    from django.core.management import call_command

    field["questionnaire"].__class__.objects.filter(pk=field["questionnaire"].pk).update(
        is_open=True)
    import io

    out = io.StringIO()
    call_command("import_submissions", str(path), "--questionnaire", "mini-citizens",
                 stdout=out)
    assert Submission.objects.filter(channel="import").count() == 2
    assert sorted((stored(s) for s in Submission.objects.all()), key=json.dumps) == sorted(
        [STORED[0], STORED[2]], key=json.dumps)
    # sending them again now is harmless: the same records, acknowledged, stored once
    page.click("#outbox-rows tr[data-status=refused] button")
    wait_count(page, "sent", 1)
    page.click("#outbox-rows tr[data-status=refused] button")
    wait_count(page, "sent", 2)
    assert Submission.objects.count() == 2


def check(page) -> list[str]:
    """axe-core's serious and critical violations, and English or codes left in Vietnamese."""
    return violations(page) + english_or_codes(page.content())


def test_the_app_installs_and_its_offline_pages_pass_axe_and_read_as_vietnamese(field, phone):
    base = field["url"]
    context, page = phone(field["profile"], bypass_csp=True)  # to run axe's script
    sign_in(page, base, "enumerator74")
    wait_cached(page)
    set_network(context, False)
    page.reload()
    wait_ready(page)
    cdp = context.new_cdp_session(page)  # Chromium's own verdict on installing the app
    assert cdp.send("Page.getAppManifest")["errors"] == []
    assert cdp.send("Page.getInstallabilityErrors") == {"installabilityErrors": []}
    found = {"signed in, offline": check(page)}
    fill_survey(page, SURVEYS[1])
    found["with a queued record"] = check(page)
    page.click("#questionnaires button")
    found["a new survey"] = check(page)
    page.click("#survey-form button[type=submit]")
    found["survey with errors"] = check(page)
    page.click("#back")
    wait_count(page, "draft", 1)
    page.click("#sign-out")
    page.wait_for_selector("#confirm-sign-out[open]")
    found["sign-out question"] = check(page)
    page.click("#confirm-go")
    page.wait_for_selector("#signed-out:not([hidden])")
    found["signed out"] = check(page)
    assert {name: v for name, v in found.items() if v} == {}
    assert "<script>" not in page.content()


# Raw answers as the page may hold them, each to be judged alike by the app and the server.
CASES = [
    {},
    {"U01": 1, "Q01": 5, "Q02": 4},
    {"U01": 2, "Q01": 5, "Q02": 4},
    {"U01": 1, "Q01": 5},
    {"U01": 3, "Q01": 5},
    {"U01": 2, "Q01": 9, "Z01": [1, 1]},
    {"U01": 2, "Q01": 9, "Z01": [3, 1], "N01": "20"},
    {"U01": 2, "Q01": 9, "N01": "20.00001"},
    {"U01": 2, "Q01": 9, "N01": "-1"},
    {"U01": 2, "Q01": 9, "N01": "abc"},
    {"U01": 2, "Q01": 9, "N01": "0.0001"},
    {"U01": 2, "Q01": 9, "T01": "x" * 501},
    {"U01": 2, "Q01": 9, "T01": "ý" * 500},
    {"U01": 2, "Q01": 9, "T01": "   "},
    {"U01": 2, "Q01": 9, "Q03": 7},
]


def test_the_app_checks_answers_as_the_server_does(field, phone):
    base = field["url"]
    context, page = phone(field["profile"])
    sign_in(page, base, "enumerator74")
    schema = questionnaire_schema(field["questionnaire"])
    judged = page.evaluate("""async (cases) => {
        const response = await fetch('/collect/api/assignments');
        const form = (await response.json()).questionnaires[0];
        return cases.map(raw => {
          const result = CollectForm.cleanAnswers(form, raw);
          return [Object.keys(result.answers).sort(), Object.keys(result.problems).sort()];
        });
    }""", CASES)
    for raw, (app_answers, app_problems) in zip(CASES, judged, strict=True):
        answers, problems = clean_answers(schema, raw)
        # the app leaves out answers to hidden questions where the server names them
        hidden = {code for code, why in problems.items() if why.startswith("is not asked")}
        assert (app_answers, app_problems) == (sorted(answers), sorted(set(problems) - hidden)), raw
