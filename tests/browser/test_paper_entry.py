"""Paper forms in a browser: double entry from batch to counted result, and keying by keyboard.

A supervisor registers a batch of three forms; operator A keys all three, operator B keys them
with one different answer on form 2. Forms 1 and 3 are counted, form 2 waits for the
supervisor, who reads the paper in the side-by-side view; then it is counted too. Keying a
whole SIPAS 2024 form takes no more key presses than answers + 5.
"""

import datetime
import io
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from scoring.models import AuditEvent, NodeResult, Role
from scoring.services.paper import register_batch
from surveys.models import PaperForm, PaperKeying, Province, Questionnaire, Submission
from surveys.paper import submission_key
from tests.browser.helpers import DESKTOP, sign_in, violations
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

UNIT = "79"
FORMS = "/review/paper/"  # where data-entry staff land when they sign in
PROFILE = {"A01": 1, "A02": 3, "A03": 1, "A04": 5, "A05": 4, "A06": 1, "A07": 2}


def policy(value, **changes):
    return {**{f"P{n:02d}": value for n in range(1, 15)}, **changes}


# The paper: forms 1 and 3 satisfied on every policy item, form 2 dissatisfied; nobody used
# a one-stop shop (U01 = 2), so the service sections are skipped.
PAPER = {1: {**PROFILE, **policy(4), "U01": 2},
         2: {**PROFILE, **policy(2), "U01": 2},
         3: {**PROFILE, **policy(5), "U01": 2}}
B_SLIP = ("P05", 3)  # operator B types 3 where form 2 says 2


@pytest.fixture
def definitions():
    call_command("load_definitions", stdout=io.StringIO())


class Keyboard:
    """Key presses sent to the page, counted."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def press(self, key):
        self.page.keyboard.press(key)
        self.count += 1

    def type(self, text):
        for char in text:
            self.press(char)


def key_form(page, keyboard, answers, *, save=True):
    """Key one form as an operator would: Enter after the serial (filled in already), one
    digit per single-choice answer, Enter after the others and after blanks, Enter to save."""
    keyboard.press("Enter")
    for code in page.eval_on_selector_all(
            ".keying-row", "rows => rows.map(r => r.dataset.code)"):
        if page.locator(f"#row-{code}").is_hidden():
            continue
        assert page.evaluate("document.activeElement.name") == code
        value = answers.get(code)
        kind = page.get_attribute(f"#row-{code}", "data-type")
        if value is None:
            keyboard.press("Enter")
        elif kind == "multi_choice":
            keyboard.type("".join(str(v) for v in value))
            keyboard.press("Enter")
        elif kind in ("scale", "single_choice"):
            keyboard.type(str(value))
        else:
            keyboard.type(str(value))
            keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "save"
    if save:
        with page.expect_navigation():
            keyboard.press("Enter")


def total(province):
    return NodeResult.objects.filter(index__code="sipas-2025", province=province,
                                     node__code="").values_list("percent", flat=True).first()


def test_double_entry_from_batch_to_counted_result(live_server, definitions, new_context):
    unit = Province.objects.get(province_set__code="vn-34", code=UNIT)
    questionnaire = Questionnaire.objects.get(code="sipas-2025")
    make_user("giamsat79", Role.ENTRY_SUPERVISOR, unit)
    make_user("nhaplieu_a", Role.ENTRY_OPERATOR, unit)
    make_user("nhaplieu_b", Role.ENTRY_OPERATOR, unit)
    assert total(unit) is None

    # the supervisor registers the batch
    supervisor = new_context(DESKTOP).new_page()
    sign_in(supervisor, live_server.url, "giamsat79", lands_on=FORMS)
    supervisor.click("text=Đăng ký một lô phiếu")
    supervisor.select_option("#id_questionnaire", str(questionnaire.pk))
    supervisor.fill("#id_serials", "1-3")
    supervisor.fill("#id_collected_by", "Bưu điện Thành phố")
    supervisor.fill("#id_arrived_on", datetime.date.today().isoformat())
    with supervisor.expect_navigation():
        supervisor.click("#batch-form button[type=submit]")
    batch_url = supervisor.url
    assert supervisor.inner_text("[data-state=pending]") == "3"
    assert supervisor.locator("#forms tbody tr").count() == 3

    # operator A keys all three; operator B keys them, slipping once on form 2
    for username, slip in (("nhaplieu_a", None), ("nhaplieu_b", B_SLIP)):
        page = new_context(DESKTOP).new_page()
        sign_in(page, live_server.url, username, lands_on=FORMS)
        page.click(f"#batches a[href='{urlparse(batch_url).path}']")
        with page.expect_navigation():
            page.click("#key-next")
        keyboard = Keyboard(page)
        for serial in (1, 2, 3):
            assert page.input_value("#serial") == str(serial)
            # nothing of another keying shows: every answer box starts empty
            assert page.eval_on_selector_all(
                ".keying-row input", "els => els.every(e => e.value === '')")
            answers = dict(PAPER[serial])
            if slip and serial == 2:
                answers[slip[0]] = slip[1]
            key_form(page, keyboard, answers)
        assert urlparse(page.url).path == urlparse(batch_url).path  # all keyed: the batch

    # forms 1 and 3 are counted and move the unit's result; form 2 is not
    assert sorted(Submission.objects.values_list("key", "channel")) == sorted(
        [(submission_key("sipas-2025", 1), "paper"), (submission_key("sipas-2025", 3), "paper")])
    assert Submission.objects.filter(counted_at__isnull=False).count() == 2
    assert total(unit) == Decimal("100")  # every policy item satisfied on both forms
    assert dict(PaperForm.objects.values_list("serial", "status")) == {
        1: "stored", 2: "disagree", 3: "stored"}

    # the supervisor reads form 2's paper in the side-by-side view
    supervisor.reload()
    assert supervisor.inner_text("[data-state=stored_matching]") == "2"
    assert supervisor.inner_text("[data-state=disagree]") == "1"
    with supervisor.expect_navigation():
        supervisor.click("#forms tr[data-serial='2'] a")
    assert supervisor.eval_on_selector_all(
        "#side-by-side tr.differs", "rows => rows.map(r => r.dataset.code)") == ["P05"]
    assert supervisor.eval_on_selector_all(
        "#row-P05 td.keyed", "tds => tds.map(td => td.innerText.trim())") == [
        "2 · Không hài lòng", "3 · Bình thường"]
    assert supervisor.evaluate("document.activeElement.name") == "P05"
    supervisor.keyboard.type("2")
    with supervisor.expect_navigation():
        supervisor.keyboard.press("Enter")
    assert "Phiếu 2 đã được xử lý theo phiếu giấy" in supervisor.inner_text("main")
    assert supervisor.inner_text("[data-state=stored]") == "3 / 3 (100%)"

    # counted: two of three forms satisfied on every policy item
    assert Submission.objects.filter(counted_at__isnull=False).count() == 3
    assert f"{total(unit):.4f}" == "66.6667"

    # the audit log has every step, by whom
    steps = list(AuditEvent.objects.filter(action__startswith="paper_").order_by("pk")
                 .values_list("user__username", "action", "detail__serial"))
    assert steps == [("giamsat79", "paper_batch", None),
                     *[("nhaplieu_a", "paper_keyed", s) for s in (1, 2, 3)],
                     *[("nhaplieu_b", "paper_keyed", s) for s in (1, 2, 3)],
                     ("giamsat79", "paper_resolved", 2)]
    resolved = AuditEvent.objects.get(action="paper_resolved").detail
    assert resolved["changes"] == {"P05": {"first": 2, "second": 3, "paper": 2}}
    # and the audit log page reads them, newest first, in words
    get_user_model().objects.create_superuser("quantri", password=PASSWORD)
    admin = new_context(DESKTOP).new_page()
    assert admin.goto(f"{live_server.url}/accounts/login/").status == 200
    admin.fill("#id_username", "quantri")
    admin.fill("#id_password", PASSWORD)
    with admin.expect_navigation():
        admin.click("main button[type=submit]")
    admin.goto(f"{live_server.url}/review/audit/")
    lines = [row for row in admin.eval_on_selector_all(
        "#audit tbody tr", "trs => trs.map(tr => [...tr.cells].map(c => c.innerText.trim()))")
        if "phiếu giấy" in row[4]]
    paper_key = submission_key("sipas-2025", 2)
    batch = PaperForm.objects.get(serial=2).batch_id
    assert [(row[1], row[4].replace(f"(lô {batch})", "(lô B)")
                         .replace(f"giấy {batch} của", "giấy B của")) for row in lines] == [
        ("giamsat79", "Đã xử lý phiếu giấy 2 (lô B) theo phiếu gốc, lưu thành phiếu trả lời "
                      f"{paper_key}: P05: 2 / 3 → 2"),
        ("nhaplieu_b", "Đã nhập phiếu giấy 3 (lô B) lần thứ hai, trùng khớp: đã lưu thành "
                       f"phiếu trả lời {submission_key('sipas-2025', 3)}"),
        ("nhaplieu_b", "Đã nhập phiếu giấy 2 (lô B) lần thứ hai, khác nhau ở P05: chuyển cho "
                       "giám sát"),
        ("nhaplieu_b", "Đã nhập phiếu giấy 1 (lô B) lần thứ hai, trùng khớp: đã lưu thành "
                       f"phiếu trả lời {submission_key('sipas-2025', 1)}"),
        *[("nhaplieu_a", f"Đã nhập phiếu giấy {s} (lô B) lần thứ nhất") for s in (3, 2, 1)],
        ("giamsat79", "Đã đăng ký lô phiếu giấy B của " + questionnaire.title_vi + " cho "
                      "Thành phố Hồ Chí Minh: 3 phiếu (số sê-ri 1-3), do «Bưu điện Thành phố» "
                      f"thu về, đến ngày {datetime.date.today().isoformat()}")]


def test_a_sipas_2024_form_is_keyed_with_the_keyboard_alone(live_server, definitions,
                                                            new_context):
    province = Province.objects.get(province_set__code="vn-63", code="74")
    questionnaire = Questionnaire.objects.get(code="sipas-2024")
    supervisor = make_user("giamsat74", Role.ENTRY_SUPERVISOR, province)
    make_user("nhaplieu74", Role.ENTRY_OPERATOR, province)
    batch = register_batch(questionnaire=questionnaire, province=province, serials="501-502",
                           collected_by="Mặt trận Tổ quốc", arrived_on=datetime.date(2025, 1, 20),
                           by=supervisor)
    page = new_context(DESKTOP).new_page()
    sign_in(page, live_server.url, "nhaplieu74", lands_on=FORMS)
    assert page.goto(f"{live_server.url}/review/paper/{batch.pk}/key/").status == 200
    assert page.evaluate("document.activeElement.id") == "serial"

    # the whole form: 41 single answers, every service item asked (U01 = 1), one priority
    # ticked, no comment
    form = {**PROFILE, **policy(4), "U01": 1, **{f"S{n:02d}": 5 for n in range(1, 20)},
            "Z01": [2]}
    keyboard = Keyboard(page)
    key_form(page, keyboard, form)
    answers = len(form)
    assert (answers, keyboard.count) == (42, 46)  # serial Enter, Z01's Enter, Z02's, Save
    assert keyboard.count <= answers + 5
    keying = PaperKeying.objects.get(form__serial=501)
    assert keying.answers == {**form, "Z01": [2]}
    assert keying.started_at is not None and keying.started_at <= keying.keyed_at
    assert "Phiếu 501 đã được nhập lần thứ nhất." in page.inner_text("main")

    # form 502: a value not among the options is refused as typed, with the allowed ones;
    # "no one-stop shop" skips the nineteen service questions
    assert page.input_value("#serial") == "502"
    page.keyboard.press("Enter")
    page.keyboard.type("7")
    assert page.inner_text("#err-A01") == "7 không thuộc các phương án: 1, 2."
    assert page.evaluate("document.activeElement.name") == "A01"
    page.keyboard.type("2")
    assert page.inner_text("#err-A01") == ""
    assert page.evaluate("document.activeElement.name") == "A02"
    page.keyboard.press("ArrowUp")  # back to correct A01: what is typed replaces it
    assert page.evaluate("document.activeElement.name") == "A01"
    page.keyboard.type("1")
    assert page.evaluate("document.activeElement.name") == "A02"
    assert page.input_value("#k-A01") == "1"
    shorter = Keyboard(page)
    shorter.type("111111")  # A02-A07
    shorter.type("3" * 14)  # P01-P14
    shorter.type("2")  # U01: no
    assert page.evaluate("document.activeElement.name") == "Z01"
    assert page.locator("#row-S01").is_hidden() and page.locator("#k-S19").is_disabled()
    shorter.press("Enter")
    shorter.press("Enter")
    assert page.evaluate("document.activeElement.id") == "save"
    with page.expect_navigation():
        shorter.press("Enter")
    assert shorter.count == 6 + 14 + 1 + 3
    keyed = PaperKeying.objects.get(form__serial=502).answers
    assert keyed == {**{c: 1 for c in PROFILE}, **policy(3), "U01": 2}


def test_axe_finds_no_serious_violation_on_the_paper_pages(live_server, definitions, browser):
    from scoring.services.paper import key_form as key_service

    unit = Province.objects.get(province_set__code="vn-34", code=UNIT)
    supervisor = make_user("giamsat79", Role.ENTRY_SUPERVISOR, unit)
    operators = [make_user(f"nhaplieu_{n}", Role.ENTRY_OPERATOR, unit) for n in "ab"]
    batch = register_batch(questionnaire=Questionnaire.objects.get(code="sipas-2025"),
                           province=unit, serials="1-2", collected_by="Bưu điện",
                           arrived_on=datetime.date.today(), by=supervisor)
    for operator, value in zip(operators, (4, 3), strict=True):
        key_service(batch=batch, serial=1, operator=operator,
                    typed={k: str(v) for k, v in {**PAPER[1], "P05": value}.items()})
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)  # to run axe's script
    context.set_default_timeout(10_000)
    page = context.new_page()
    found = {}
    sign_in(page, live_server.url, "giamsat79", lands_on=FORMS)
    for path in ("/review/paper/", "/review/paper/new/", f"/review/paper/{batch.pk}/",
                 f"/review/paper/{batch.pk}/form/1/"):
        page.goto(f"{live_server.url}{path}")
        found[path] = violations(page)
    page.context.clear_cookies()
    sign_in(page, live_server.url, "nhaplieu_a", lands_on=FORMS)
    page.goto(f"{live_server.url}/review/paper/{batch.pk}/key/")
    page.keyboard.press("Enter")
    page.keyboard.type("7")  # refused on the spot: the message shows
    assert page.inner_text("#err-A01") == "7 không thuộc các phương án: 1, 2."
    found["keying"] = violations(page)
    context.close()
    assert {path: v for path, v in found.items() if v} == {}
