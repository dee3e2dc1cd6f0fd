"""The web survey and invitation pages through Django's test client."""

import io
import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from django.utils import timezone

from surveys.intake import generate_codes, issue_invitations
from surveys.models import Draft, Invitation, Province, Submission

SURVEY = "/s/mini-citizens/74/"


def receipt_on(page) -> str | None:
    assert page.status_code == 200
    found = re.search(r'id="receipt">([^<]+)<', page.content.decode())
    return found.group(1) if found else None


def key_of(response) -> str:
    return re.search(r'name="submission_id" value="([^"]+)"', response.content.decode()).group(1)


def test_first_page_is_vietnamese_with_the_first_section(client, mini_questionnaire):
    page = client.get(SURVEY, HTTP_ACCEPT_LANGUAGE="en-US,en")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="vi">' in html
    assert "Đã dùng dịch vụ?" in html and "Phần A" in html
    assert 'name="Q03"' not in html  # section B comes later


def test_english_after_switching_language(client, mini_questionnaire):
    client.post("/i18n/setlang/", {"language": "en", "next": SURVEY})
    html = client.get(SURVEY).content.decode()
    assert '<html lang="en">' in html and "Used a service?" in html


def test_citizen_completes_the_survey_and_a_resend_returns_the_same_receipt(
        client, mini_questionnaire):
    key = key_of(client.get(SURVEY))
    missing = client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "1"})
    assert missing.status_code == 200
    assert re.findall(r'id="err-(\w+)"', missing.content.decode()) == ["Q01", "Q02"]
    assert client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "1",
                                "Q01": "5", "Q02": "4"}).status_code == 302
    final = {"submission_id": key, "action": "submit", "Q03": "9", "Z01": ["1", "3"],
             "N01": "2", "T01": "Tốt"}
    done = client.post(SURVEY, final)
    assert (done.status_code, done.url) == (302, "/r/")  # no receipt in any address
    submission = Submission.objects.get()
    assert (submission.key, submission.channel) == (key, "web")
    assert receipt_on(client.get(done.url)) == submission.receipt
    assert receipt_on(client.get(done.url)) is None  # shown once
    again = client.post(SURVEY, final)  # a double tap on Submit
    assert (again.status_code, again.url) == (302, "/r/")
    assert Submission.objects.count() == 1


def test_hidden_section_answers_are_dropped_when_the_screening_answer_changes(
        client, mini_questionnaire):
    key = key_of(client.get(SURVEY))
    client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "1", "Q01": "5",
                         "Q02": "4"})
    client.post(SURVEY, {"submission_id": key, "action": "back"})
    client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "2", "Q01": "5"})
    client.post(SURVEY, {"submission_id": key, "action": "submit"})
    answers = {a.question.code for a in Submission.objects.get().answers.all()}
    assert answers == {"U01", "Q01"}


def test_code_is_asked_once_codes_exist(client, mini_questionnaire):
    [code] = generate_codes(questionnaire=mini_questionnaire,
                            province=Province.objects.get(code="74"), count=1)
    page = client.get(SURVEY)
    assert 'name="code"' in page.content.decode()
    wrong = client.post(SURVEY, {"code": "AAAAA-BBBBB"})
    assert wrong.status_code == 400
    assert client.post(SURVEY, {"code": code}).status_code == 302
    key = key_of(client.get(SURVEY))
    client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "2", "Q01": "3"})
    assert client.post(SURVEY, {"submission_id": key, "action": "submit"}).status_code == 302
    other = type(client)()
    used = other.post(SURVEY, {"code": code})
    assert used.status_code == 400
    assert "đã được sử dụng" in used.content.decode() or "already been used" in \
        used.content.decode()


@pytest.mark.parametrize(("url", "status"), [
    ("/s/mini-citizens/99/", 404), ("/s/nothing/74/", 404), ("/i/not-a-token/", 404),
    ("/r/NOPE/", 404),
])
def test_unknown_links_get_a_clear_page(client, mini_questionnaire, url, status):
    assert client.get(url).status_code == status


def test_closed_questionnaire_gets_a_410_page(client, mini_questionnaire):
    mini_questionnaire.is_open = False
    mini_questionnaire.save()
    page = client.get(SURVEY)
    assert page.status_code == 410
    assert Submission.objects.count() == 0


@pytest.mark.parametrize(("language", "texts"), [
    (None, ["Không thể trả lời khảo sát này nữa", "Khảo sát thử",
            "Khảo sát đã kết thúc; không nhận thêm câu trả lời.",
            "Khảo sát đã nhận câu trả lời đến hết ngày 31/01/2025.", "Về trang chủ"]),
    ("en", ["This survey can no longer be answered", "Trial survey",
            "The survey is closed; answers are no longer accepted.",
            "Answers were accepted until 31/01/2025.", "Go to the home page"]),
])
def test_a_closed_questionnaire_says_until_when_it_took_answers_with_a_link_home(
        client, mini_questionnaire, language, texts):
    if language:
        client.cookies["django_language"] = language
    key = key_of(client.get(SURVEY))
    # closed at the end of 31 January 2025, Vietnam time (as load_definitions sets it)
    mini_questionnaire.closes_at = timezone.make_aware(datetime(2025, 2, 1))
    mini_questionnaire.save()
    page = client.get(SURVEY)
    assert page.status_code == 410
    html = re.sub(r"\s+", " ", page.content.decode())
    assert [text in html for text in texts] == [True] * 5
    assert re.search(r'<a class="btn btn-primary" href="/">', html)
    sent = client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "2",
                                "Q01": "4"})
    assert sent.status_code == 410
    assert Submission.objects.count() == 0


def test_invitation_is_resumable_and_used_up_only_on_submit(client, mini_officials):
    [token] = issue_invitations(questionnaire=mini_officials,
                                province=Province.objects.get(code="01"), count=1)
    url = f"/i/{token}/"
    first = client.get(url)
    assert first.status_code == 200
    assert not Invitation.objects.get().used and not Draft.objects.exists()
    key = key_of(first)
    client.post(url, {"submission_id": key, "action": "next", "U01": "2", "Q01": "4"})
    draft = Draft.objects.get()
    assert (draft.answers, draft.position, draft.submission_key) == (
        {"U01": 2, "Q01": 4}, 1, key)
    elsewhere = type(client)()  # another device: no cookies
    resumed = elsewhere.get(url)
    assert 'name="Q03"' in resumed.content.decode() and key_of(resumed) == key
    done = elsewhere.post(url, {"submission_id": key, "action": "submit", "Q03": "5"})
    assert done.status_code == 302
    assert Invitation.objects.get().used
    assert not Draft.objects.exists()
    assert elsewhere.get(url).status_code == 410
    resend = elsewhere.post(url, {"submission_id": key, "action": "submit", "Q03": "5"})
    assert (resend.status_code, resend.url) == (302, "/r/")
    assert Submission.objects.count() == 1


def test_expired_invitation_gets_a_410_page(client, mini_officials):
    [token] = issue_invitations(questionnaire=mini_officials,
                                province=Province.objects.get(code="01"), count=1)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/i/{token}/").status_code == 410


def test_issue_invitations_command_writes_links(mini_officials, tmp_path, settings):
    from django.core.management import call_command

    settings.PUBLIC_BASE_URL = "https://par.example.gov.vn"
    out = tmp_path / "links.csv"
    call_command("issue_invitations", "--questionnaire", "mini-officials", "--province", "74",
                 "--province", "01", "--count", "2", "-o", str(out))
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "province_code,province_name,questionnaire,respondent_group,link"
    assert [line.split(",")[0] for line in lines[1:]] == ["74", "74", "01", "01"]
    assert lines[1].split(",")[-1].startswith("https://par.example.gov.vn/i/")
    token = lines[1].rsplit("/i/", 1)[1].rstrip("/")
    assert len(token) == 32 and Invitation.objects.count() == 4
    assert not Invitation.objects.filter(token_hash=token).exists()  # only hashes are kept


# --- Back, progress -----------------------------------------------------------------------------

def load_variant(code: str, mutate) -> str:
    """The mini citizens' questionnaire under another code, changed by `mutate`; its link."""
    from surveys.services import load_questionnaire
    from tests.helpers import dump, fixture_data

    data = fixture_data("mini-citizens.yaml")
    data["code"] = code
    mutate(data)
    load_questionnaire(text=dump(data))
    return f"/s/{code}/74/"


def progress_of(page) -> tuple[str, str]:
    html = page.content.decode()
    part = re.search(r"<span>((?:Phần|Part) \d+ (?:/|of) \d+)</span>", html).group(1)
    return part, re.search(r'aria-valuenow="(\d+)"', html).group(1)


def checked_values(page, code: str) -> list[str]:
    return re.findall(rf'name="{code}" value="(\d+)"[^>]*\n?\s*checked', page.content.decode())


def test_back_keeps_the_valid_answers_of_an_incomplete_or_wrong_page(client, mini_questionnaire):
    def q03_required(data):
        data["sections"][1]["questions"][0]["required"] = True

    url = load_variant("mini-back", q03_required)
    key = key_of(client.get(url))
    client.post(url, {"submission_id": key, "action": "next", "U01": "2", "Q01": "5"})
    # Q03 is required and missing, N01 is out of range: still, Back keeps Z01 and T01
    back = client.post(url, {"submission_id": key, "action": "back", "Z01": ["1", "3"],
                             "N01": "99", "T01": "Chờ lâu"})
    assert (back.status_code, back.url) == (302, url)
    first = client.get(url)
    assert 'id="error-summary"' not in first.content.decode()
    assert "Phần A" in first.content.decode()
    assert client.session["survey:mini-back:74"]["answers"] == {
        "U01": 2, "Q01": 5, "Z01": [1, 3], "T01": "Chờ lâu"}
    client.post(url, {"submission_id": key, "action": "next", "U01": "2", "Q01": "5"})
    again = client.get(url)
    html = again.content.decode()
    assert 'id="error-summary"' not in html and 'class="invalid-feedback' not in html
    assert checked_values(again, "Z01") == ["1", "3"]
    assert ">Chờ lâu</textarea>" in html
    assert re.search(r'name="N01" id="id_N01" value=""', html)


def test_back_replaces_what_was_kept_for_the_page(client, mini_questionnaire):
    key = key_of(client.get(SURVEY))
    client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "2", "Q01": "5"})
    client.post(SURVEY, {"submission_id": key, "action": "back", "Q03": "4", "N01": "3"})
    client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "2", "Q01": "5"})
    client.post(SURVEY, {"submission_id": key, "action": "back", "N01": "abc"})
    assert client.session["survey:mini-citizens:74"]["answers"] == {"U01": 2, "Q01": 5}


def with_skips(data):
    """A: U01, Q01; B: Q02 (shown when U01 = 1); C: Q03, ...; D: Q04 (shown when Q03 = 5)."""
    a, c = data["sections"]
    q02 = a["questions"].pop()
    data["sections"] = [
        a, {"code": "B", "title": {"vi": "Phần B", "en": "Part B"}, "questions": [q02]},
        {**c, "code": "C", "title": {"vi": "Phần C", "en": "Part C"}},
        {"code": "D", "title": {"vi": "Phần D", "en": "Part D"}, "questions": [
            {"code": "Q04", "text": {"vi": "Vì sao?", "en": "Why?"}, "type": "text",
             "max_length": 100, "show_if": {"question": "Q03", "in": [5]}}]}]


def test_progress_ends_at_100_percent_on_the_last_page(client, mini_questionnaire):
    assert progress_of(client.get(SURVEY)) == ("Phần 1 / 2", "50")
    key = key_of(client.get(SURVEY))
    client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "2", "Q01": "5"})
    last = client.get(SURVEY)
    assert progress_of(last) == ("Phần 2 / 2", "100")
    assert 'value="submit"' in last.content.decode()


def test_progress_follows_the_sections_that_skips_leave(client, mini_questionnaire):
    url = load_variant("mini-skips", with_skips)
    key = key_of(client.get(url))
    assert progress_of(client.get(url)) == ("Phần 1 / 4", "25")
    # "No": part B is skipped
    client.post(url, {"submission_id": key, "action": "next", "U01": "2", "Q01": "5"})
    page = client.get(url)
    assert "Phần C" in page.content.decode()
    # the page with Submit is the last part, though Q03 = 5 on it would show part D
    assert progress_of(page) == ("Phần 2 / 2", "100")
    assert 'value="submit"' in page.content.decode()
    client.post(url, {"submission_id": key, "action": "back"})
    assert progress_of(client.get(url)) == ("Phần 1 / 3", "33")
    # "Yes": part B is shown; Q03 = 5 shows part D
    client.post(url, {"submission_id": key, "action": "next", "U01": "1", "Q01": "5"})
    assert progress_of(client.get(url)) == ("Phần 2 / 4", "50")
    client.post(url, {"submission_id": key, "action": "next", "Q02": "4"})
    assert progress_of(client.get(url)) == ("Phần 3 / 3", "100")
    client.post(url, {"submission_id": key, "action": "submit", "Q03": "5"})
    page = client.get(url)
    assert "Phần D" in page.content.decode()
    assert progress_of(page) == ("Phần 4 / 4", "100")
    client.post(url, {"submission_id": key, "action": "back"})
    assert progress_of(client.get(url)) == ("Phần 3 / 4", "75")


# --- the home page's province picker ------------------------------------------------------------

def picker_options(page) -> list[tuple[str, str, str]]:
    """(value, attributes, label) of each option of the home page's province picker."""
    select = re.search(r'<select[^>]*id="province-pick".*?</select>', page.content.decode(),
                       re.S).group(0)
    return re.findall(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select)


def test_the_picker_starts_on_a_placeholder_and_lists_provinces_in_vietnamese_order(
        client, mini_questionnaire):
    options = picker_options(client.get("/"))
    assert options[0] == ("", " disabled selected", "Chọn tỉnh, thành phố")
    assert all(attributes == "" for _, attributes, _ in options[1:])
    assert len(options) == 64
    assert [label for _, _, label in options[1:8]] == [
        "Tỉnh An Giang", "Tỉnh Bà Rịa - Vũng Tàu", "Tỉnh Bạc Liêu", "Tỉnh Bắc Giang",
        "Tỉnh Bắc Kạn", "Tỉnh Bắc Ninh", "Tỉnh Bến Tre"]
    assert [label for _, _, label in options[12:16]] == [
        "Tỉnh Cà Mau", "Tỉnh Cao Bằng", "Thành phố Cần Thơ", "Thành phố Đà Nẵng"]
    assert [label for _, _, label in options[22:26]] == [
        "Tỉnh Hà Giang", "Tỉnh Hà Nam", "Thành phố Hà Nội", "Tỉnh Hà Tĩnh"]
    assert options[-1] == ("15", "", "Tỉnh Yên Bái")


def test_the_english_picker_sorts_the_english_names_by_the_same_rule(client, mini_questionnaire):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    options = picker_options(client.get("/"))
    assert options[0] == ("", " disabled selected", "Choose a province or city")
    labels = [label for _, _, label in options[1:]]
    assert labels[11:16] == ["Ca Mau", "Can Tho", "Cao Bang", "Da Nang", "Dak Lak"]
    assert labels[28:31] == ["Ho Chi Minh City", "Hoa Binh", "Hung Yen"]
    assert labels[-1] == "Yen Bai"


@pytest.fixture
def units(db):
    """The 34 units in force from 2025."""
    from django.conf import settings
    from django.core.management import call_command

    call_command("load_province_set", str(settings.BASE_DIR / "data" / "provinces" /
                                          "vn-34-2025.csv"), stdout=io.StringIO())


def test_the_picker_offers_only_an_open_questionnaire(client, mini_questionnaire, units):
    def closed_2025(data):
        data["year"] = 2025

    load_variant("mini-2025", closed_2025)
    from surveys.models import Questionnaire

    Questionnaire.objects.filter(code="mini-2025").update(
        closes_at=timezone.now() - timedelta(days=1))
    html = client.get("/").content.decode()
    assert '<input type="hidden" name="questionnaire" value="mini-citizens">' in html
    Questionnaire.objects.filter(code="mini-citizens").update(
        closes_at=timezone.now() - timedelta(seconds=1))
    assert 'id="province-pick"' not in client.get("/").content.decode()


# --- the error summary --------------------------------------------------------------------------

PROFILE = {"A01": "2", "A02": "3", "A03": "1", "A04": "5", "A05": "4", "A06": "1", "A07": "3"}


@pytest.fixture
def sipas_2025(units):
    from django.conf import settings

    from surveys.services import load_questionnaire

    path = settings.BASE_DIR / "data" / "questionnaires" / "sipas-2025.yaml"
    load_questionnaire(text=path.read_text(encoding="utf-8"))
    return "/s/sipas-2025/79/"


def summary_links(page) -> list[tuple[str, str]]:
    summary = re.search(r'id="error-summary".*?</ul>', page.content.decode(), re.S).group(0)
    return re.findall(r'<a href="#q-(\w+)" class="alert-link">([^<]*)</a>', summary)


def test_the_error_summary_shows_what_tells_the_policy_questions_apart(client, sipas_2025):
    key = key_of(client.get(sipas_2025))
    client.post(sipas_2025, {"submission_id": key, "action": "next", **PROFILE})
    missing = client.post(sipas_2025, {"submission_id": key, "action": "next",
                                       "P01": "4", "P02": "4", "P03": "4"})
    assert missing.status_code == 200
    assert summary_links(missing) == [
        ("P04", "… việc chính quyền tiếp thu và phản hồi ý kiến góp ý của người dân?"),
        ("P05", "… mức độ phù hợp của chính sách với nhu cầu, nguyện vọng của người dân?"),
        ("P06", "… tính rõ ràng, dễ hiểu của nội dung chính sách?"),
        ("P07", "… tính công bằng của chính sách đối với các nhóm người dân?"),
    ]
    client.post("/i18n/setlang/", {"language": "en", "next": sipas_2025})
    missing = client.post(sipas_2025, {"submission_id": key, "action": "next",
                                       "P01": "4", "P02": "4", "P03": "4", "P04": "4"})
    assert summary_links(missing) == [
        ("P05", "… how well policies match people&#x27;s needs and wishes?"),
        ("P06", "… how clear and easy to understand policies are?"),
        ("P07", "… how fair policies are to different groups of people?"),
    ]


def test_a_page_of_one_question_keeps_its_whole_text_in_the_summary(client, sipas_2025):
    key = key_of(client.get(sipas_2025))
    client.post(sipas_2025, {"submission_id": key, "action": "next", **PROFILE})
    client.post(sipas_2025, {"submission_id": key, "action": "next",
                             **{f"P{n:02d}": "4" for n in range(1, 8)}})
    client.post(sipas_2025, {"submission_id": key, "action": "next",
                             **{f"P{n:02d}": "3" for n in range(8, 15)}})
    missing = client.post(sipas_2025, {"submission_id": key, "action": "next"})
    assert summary_links(missing) == [("U01", (
        "Trong 12 tháng qua, Ông/Bà có trực tiếp sử dụng dịch vụ hành chính công tại Bộ "
        "phận Một cửa không?"))]


@pytest.mark.parametrize(("texts", "parts"), [
    (["Ông/Bà hài lòng như thế nào về việc A?", "Ông/Bà hài lòng như thế nào về việc B?"],
     ["… A?", "… B?"]),
    (["How satisfied are you with X?", "How satisfied are you with Y?", "Your age?"],
     ["How satisfied are you with X?", "How satisfied are you with Y?", "Your age?"]),
    (["One two three four five", "One two three four"], ["… four five", "… four"]),
    (["One two X", "One two Y"], ["One two X", "One two Y"]),  # a lead-in of under 3 words
    (["Only one question here"], ["Only one question here"]),
])
def test_distinguishing_parts_leave_out_the_shared_lead_in(texts, parts):
    from surveys.forms import distinguishing_parts

    assert distinguishing_parts(texts) == parts


# --- one form of address ------------------------------------------------------------------------

def test_no_vietnamese_page_for_citizens_or_officials_says_ban(mini_questionnaire, mini_officials,
                                                              settings):
    """The questions say "Ông/Bà"; so does everything around them."""
    from django.test import Client, override_settings

    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    pages = {"home": client.get("/")}
    key = key_of(client.get(SURVEY))
    pages["survey"] = client.get(SURVEY)
    pages["survey with errors"] = client.post(SURVEY, {"submission_id": key, "action": "next"})
    client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "2", "Q01": "4"})
    client.post(SURVEY, {"submission_id": key, "action": "submit"})
    pages["receipt"] = client.get("/r/")
    pages["receipt shown before"] = client.get("/r/")

    [token] = issue_invitations(questionnaire=mini_officials,
                                province=Province.objects.get(code="01"), count=1)
    pages["official"] = client.get(f"/i/{token}/")
    client.post(f"/i/{token}/", {"submission_id": key_of(pages["official"]), "action": "next",
                                 "U01": "2", "Q01": "4"})
    pages["official's draft restored"] = Client().get(f"/i/{token}/")

    generate_codes(questionnaire=mini_questionnaire,
                   province=Province.objects.get(code="01"), count=1)
    pages["code entry"] = client.get("/s/mini-citizens/01/")
    pages["wrong code"] = client.post("/s/mini-citizens/01/", {"code": "AAAAA-BBBBB"})
    pages["unknown survey link"] = client.get("/s/mini-citizens/99/")
    pages["unknown invitation"] = client.get("/i/not-a-token/")
    with override_settings(ROOT_URLCONF="tests.error_urls"):
        pages["404"] = client.get("/no-such-page/")
        pages["500"] = client.get("/test-broken/")
        pages["403"] = client.get("/test-forbidden/")
        pages["503"] = client.get("/test-database-down/")
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "survey": 1}
    pages["429"] = client.get(SURVEY)
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "survey": 100}
    mini_questionnaire.closes_at = timezone.now() - timedelta(days=1)
    mini_questionnaire.save()
    pages["closed"] = client.get(SURVEY)

    assert {name: page.status_code for name, page in pages.items()} == {
        "home": 200, "survey": 200, "survey with errors": 200, "receipt": 200,
        "receipt shown before": 200, "official": 200, "official's draft restored": 200,
        "code entry": 200, "wrong code": 400, "unknown survey link": 404,
        "unknown invitation": 404, "404": 404, "500": 500, "403": 403, "503": 503,
        "429": 429, "closed": 410}
    for name, page in pages.items():
        html = page.content.decode()
        assert '<html lang="vi">' in html, name
        assert not re.search(r"\bbạn\b", html, re.IGNORECASE), name
    assert "Cảm ơn Ông/Bà!" in pages["receipt"].content.decode()



# --- officials: a restored draft, links on the public address -----------------------------------

def test_an_official_reopening_the_link_is_told_the_draft_was_restored(client, mini_officials):
    [token] = issue_invitations(questionnaire=mini_officials,
                                province=Province.objects.get(code="01"), count=1)
    url = f"/i/{token}/"
    first = client.get(url)
    assert 'id="draft-restored"' not in first.content.decode()  # nothing saved yet
    client.post(url, {"submission_id": key_of(first), "action": "next", "U01": "2", "Q01": "4"})
    assert 'id="draft-restored"' not in client.get(url).content.decode()  # just saved here
    Draft.objects.update(updated_at=timezone.make_aware(datetime(2025, 3, 12, 14, 5)))
    reopened = client.get(url)
    html = reopened.content.decode()
    notice = re.search(r'<div class="alert alert-info" role="status" id="draft-restored">'
                       r"\s*(.*?)\s*</div>", html, re.S).group(1)
    assert notice == ("Phiếu đang điền dở của Ông/Bà đã được khôi phục, với các câu trả lời "
                      "lưu lần cuối lúc 14:05 ngày 12/03/2025. Mời Ông/Bà tiếp tục từ chỗ đã "
                      "dừng.")
    assert 'name="Q03"' in html
    elsewhere = type(client)()
    elsewhere.cookies["django_language"] = "en"
    assert ("Welcome back: your draft has been restored, with the answers last saved at 14:05 "
            "on 12/03/2025. Continue where you left off.") in elsewhere.get(url).content.decode()
    assert "draft_saved" not in elsewhere.session


def test_distributed_links_use_the_public_base_url_not_the_requests_host(
        admin_client, mini_questionnaire, mini_officials, settings):
    from django.urls import reverse

    settings.PUBLIC_BASE_URL = "https://par.example.gov.vn/"
    form = {"provinces": [Province.objects.get(code="74").pk], "count": 2}

    def distribute(questionnaire) -> list[str]:
        response = admin_client.post(
            reverse("admin:surveys_questionnaire_distribute", args=[questionnaire.pk]), form,
            HTTP_HOST="127.0.0.1:8000")  # a development server
        assert response.status_code == 200
        return [row.rsplit(",", 1)[1] for row in response.content.decode().splitlines()[1:]]

    links = distribute(mini_officials)
    assert [link[:29] for link in links] == ["https://par.example.gov.vn/i/"] * 2
    assert distribute(mini_questionnaire) == [
        "https://par.example.gov.vn/s/mini-citizens/74/"] * 2


def test_the_deployment_check_refuses_a_development_public_base_url(settings):
    from surveys.checks import public_base_url_check

    for url in ("http://127.0.0.1:8000", "https://localhost", "http://par.example.gov.vn",
                "https://par.example.gov.vn:8000"):
        settings.PUBLIC_BASE_URL = url
        assert [w.id for w in public_base_url_check(None)] == ["surveys.W001"], url
    settings.PUBLIC_BASE_URL = "https://par.example.gov.vn"
    assert public_base_url_check(None) == []


def test_number_limits_are_written_for_the_browser_not_in_the_page_language(mini_questionnaire,
                                                                             client):
    from surveys.models import Question

    Question.objects.filter(questionnaire=mini_questionnaire, code="N01").update(
        min_value="0.5", max_value="20.25")
    client.post(SURVEY, {"action": "next", "U01": "2", "Q01": "4"})
    html = client.get(SURVEY).content.decode()
    assert 'min="0.5000"' in html and 'max="20.2500"' in html  # a point, as HTML requires


# --- refusals: told by their reason, in the reader's language -----------------------------------

def told(page) -> str:
    """What an error page, or the code form's error, tells the reader of the refusal."""
    html = page.content.decode()
    found = (re.search(r'<p class="lead mt-3">(.*?)</p>', html, re.S)
             or re.search(r'<p id="error_1_id_code"><strong>(.*?)</strong></p>', html, re.S))
    return unescape(re.sub(r"\s+", " ", found.group(1)).strip())


def official_link(*, used=False, expired=False) -> str:
    from surveys.models import Questionnaire

    [token] = issue_invitations(questionnaire=Questionnaire.objects.get(code="mini-officials"),
                                province=Province.objects.get(code="01"), count=1)
    Invitation.objects.update(used=used)
    if expired:
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    return f"/i/{token}/"


def code_for_74(**issued) -> str:
    from surveys.models import Questionnaire

    [code] = generate_codes(questionnaire=Questionnaire.objects.get(code="mini-citizens"),
                            province=Province.objects.get(code="74"), count=1, **issued)
    return code


def unknown_links(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "token": 1}
    assert client.get("/i/not-a-token/").status_code == 404
    return client.get("/i/not-a-token-either/")


def wrong_codes(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "code": 1}
    code_for_74()
    assert client.post(SURVEY, {"code": "AAAAA-AAAAA"}).status_code == 400
    return client.post(SURVEY, {"code": "AAAAA-AAAAB"})


def used_code(client, settings):
    code = code_for_74()
    other = type(client)()
    assert other.post(SURVEY, {"code": code}).status_code == 302
    key = key_of(other.get(SURVEY))
    other.post(SURVEY, {"submission_id": key, "action": "next", "U01": "2", "Q01": "3"})
    assert other.post(SURVEY, {"submission_id": key, "action": "submit"}).status_code == 302
    return client.post(SURVEY, {"code": code})


def closed(client, settings):
    from surveys.models import Questionnaire

    Questionnaire.objects.filter(code="mini-citizens").update(is_open=False)
    return client.get(SURVEY)


def submitted(client, *, before=lambda: None):
    """The citizens' survey filled in and submitted, `before` run just before Submit."""
    key = key_of(client.get(SURVEY))
    client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "2", "Q01": "3"})
    before(key)
    return client.post(SURVEY, {"submission_id": key, "action": "submit"})


def reused_id(client, settings):
    def sent_elsewhere_with_other_answers(key):
        answers = {"U01": 2, "Q01": 4}
        assert client.post("/api/v1/submissions", content_type="application/json", data={
            "submission_id": key, "questionnaire": "mini-citizens", "province": "74",
            "answers": answers}).status_code == 201

    return submitted(client, before=sent_elsewhere_with_other_answers)


def unit_no_longer_taken(client, settings):
    from surveys.models import Questionnaire

    citizens = Questionnaire.objects.filter(code="mini-citizens")
    citizens.update(sampling_units="optional")
    assert client.post(SURVEY, {"code": code_for_74(psu="26734")}).status_code == 302
    # the questionnaire is reloaded without sampling units while the respondent answers
    return submitted(client, before=lambda key: citizens.update(sampling_units="none"))


# reason: (how a respondent meets it on the web, status, Vietnamese, English)
WEB_REFUSALS = {
    "link_unknown": (lambda c, s: c.get("/i/not-a-token/"), 404,
                     "Vui lòng kiểm tra lại địa chỉ, hoặc đề nghị cấp đường dẫn mới.",
                     "Please check the address, or ask for a new link."),
    "link_used": (lambda c, s: c.get(official_link(used=True)), 410,
                  "Phiếu đã được gửi bằng đường dẫn này. Xin cảm ơn.",
                  "The questionnaire was already submitted with this link. Thank you."),
    "link_expired": (lambda c, s: c.get(official_link(expired=True)), 410,
                     "Đường dẫn đã hết hạn.", "This link has expired."),
    "questionnaire_closed": (closed, 410,
                             "Khảo sát đã kết thúc; không nhận thêm câu trả lời.",
                             "The survey is closed; answers are no longer accepted."),
    "code_invalid": (lambda c, s: (code_for_74(), c.post(SURVEY, {"code": "AAAAA-AAAAA"}))[1],
                     400, "Mã không hợp lệ cho khảo sát này.",
                     "This code is not valid for this survey."),
    "code_used": (used_code, 400, "Mã này đã được sử dụng.", "This code has already been used."),
    "submission_id_reused": (reused_id, 409,
                             "Phiếu này đã được gửi với câu trả lời khác; không lưu thêm gì.",
                             "This form was already sent with other answers; nothing more was "
                             "stored."),
    "sampling_invalid": (unit_no_longer_taken, 400,
                         "Không thể nhận phiếu này; chưa có gì được lưu.",
                         "This form could not be accepted; nothing was stored."),
    "too_many_wrong_codes": (wrong_codes, 429, "Vui lòng đợi một phút rồi thử lại.",
                             "Please wait a minute and try again."),
    "too_many_unknown_links": (unknown_links, 429, "Vui lòng đợi một phút rồi thử lại.",
                               "Please wait a minute and try again."),
}


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("reason", WEB_REFUSALS)
def test_each_refusal_a_respondent_can_meet_is_told_in_their_language(
        client, mini_officials, settings, reason, language):
    client.cookies["django_language"] = language
    meet, status, vietnamese, english = WEB_REFUSALS[reason]
    page = meet(client, settings)
    assert (page.status_code, told(page)) == (
        status, vietnamese if language == "vi" else english)


# Every reason, and what a page says of it (including those no page flow leads to today).
EVERY_REFUSAL = {
    "submission_id_length": (400, "Không thể nhận phiếu này; chưa có gì được lưu.",
                             "This form could not be accepted; nothing was stored."),
    "duration_invalid": (400, "Không thể nhận phiếu này; chưa có gì được lưu.",
                         "This form could not be accepted; nothing was stored."),
    "answers_invalid": (400, "Có câu trả lời không hợp lệ; chưa có gì được lưu.",
                        "Some answers are not accepted; nothing was stored."),
    "sampling_invalid": (400, "Không thể nhận phiếu này; chưa có gì được lưu.",
                         "This form could not be accepted; nothing was stored."),
    "code_required": (403, "Khảo sát này yêu cầu mã dùng một lần. Ông/Bà vui lòng mở lại "
                           "đường dẫn khảo sát và nhập mã.",
                      "This survey asks for a one-time code. Please open the survey link again "
                      "and enter your code."),
    "code_invalid": (403, "Mã không hợp lệ cho khảo sát này.",
                     "This code is not valid for this survey."),
    "token_required": (403, "Cán bộ, công chức trả lời phiếu theo đường dẫn mời: Ông/Bà vui "
                            "lòng dùng đường dẫn đã được cấp.",
                       "Officials answer by invitation: please use the link you were given."),
    "link_for_another_survey": (403, "Đường dẫn này dành cho phiếu hoặc tỉnh khác.",
                                "This link is for another questionnaire or province."),
    "officials_by_invitation": (403, "Cán bộ, công chức trả lời phiếu theo đường dẫn mời, "
                                     "không qua điều tra viên.",
                                "Officials answer by invitation, not through an enumerator."),
    "link_unknown": (404, "Vui lòng kiểm tra lại địa chỉ, hoặc đề nghị cấp đường dẫn mới.",
                     "Please check the address, or ask for a new link."),
    "submission_id_reused": (409, "Phiếu này đã được gửi với câu trả lời khác; không lưu "
                                  "thêm gì.",
                             "This form was already sent with other answers; nothing more was "
                             "stored."),
    "version_changed": (409, "Phiếu đã được thay đổi sau khi các câu trả lời này được điền; "
                             "chưa có gì được lưu.",
                        "The questionnaire was changed after these answers were given; "
                        "nothing was stored."),
    "link_used": (410, "Phiếu đã được gửi bằng đường dẫn này. Xin cảm ơn.",
                  "The questionnaire was already submitted with this link. Thank you."),
    "link_expired": (410, "Đường dẫn đã hết hạn.", "This link has expired."),
    "code_used": (410, "Mã này đã được sử dụng.", "This code has already been used."),
    "questionnaire_closed": (410, "Khảo sát đã kết thúc; không nhận thêm câu trả lời.",
                             "The survey is closed; answers are no longer accepted."),
    "too_many_wrong_codes": (429, "Vui lòng đợi một phút rồi thử lại.",
                             "Please wait a minute and try again."),
    "too_many_unknown_links": (429, "Vui lòng đợi một phút rồi thử lại.",
                               "Please wait a minute and try again."),
}


def test_every_reason_has_a_page_message():
    from surveys.intake import Reason

    assert set(EVERY_REFUSAL) == set(Reason)


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("reason", EVERY_REFUSAL)
def test_every_refusal_reads_in_both_languages(client, db, monkeypatch, reason, language):
    from surveys import intake

    kind = next(kind for kind in intake.REFUSALS if reason in kind.reasons)

    def refused(token, *, client):
        raise kind(intake.Reason(reason))

    monkeypatch.setattr(intake, "invitation_for", refused)
    client.cookies["django_language"] = language
    status, vietnamese, english = EVERY_REFUSAL[reason]
    page = client.get("/i/any-token/")
    assert (page.status_code, told(page)) == (status, vietnamese if language == "vi" else english)


def test_rewording_a_refusal_in_english_leaves_its_vietnamese_page_alone(
        client, mini_officials, monkeypatch):
    from surveys import intake

    monkeypatch.setitem(intake.MESSAGES, intake.Reason.LINK_EXPIRED,
                        "this link is past its last day")
    url = official_link(expired=True)
    assert told(client.get(url)) == "Đường dẫn đã hết hạn."
    client.cookies["django_language"] = "en"
    assert told(client.get(url)) == "This link has expired."
    api = client.post("/api/v1/submissions", content_type="application/json", data={
        "submission_id": "k1", "questionnaire": "mini-officials", "province": "01",
        "answers": {"U01": 2, "Q01": 3}, "token": url.split("/")[2]})
    assert api.json()["errors"] == [{"field": "token", "code": "gone",
                                     "message": "this link is past its last day",
                                     "reason": "link_expired"}]


# --- requests and statements a survey takes -----------------------------------------------------

def statements(queries) -> list[str]:
    """The first word of each SQL statement a request sent."""
    return [q["sql"].split()[0].upper() for q in queries.captured_queries]


def test_a_survey_is_the_link_then_a_post_and_a_page_per_section_then_the_receipt(
        client, mini_questionnaire):
    seen = []

    def go(url, data=None):
        response = client.post(url, data) if data else client.get(url)
        seen.append(("POST" if data else "GET", url, response.status_code,
                     response.get("Location")))
        return response

    key = key_of(go(SURVEY))
    go(SURVEY, {"submission_id": key, "action": "next", "U01": "1", "Q01": "5", "Q02": "4"})
    go(SURVEY)
    go(SURVEY, {"submission_id": key, "action": "submit", "Q03": "4"})
    go("/r/")
    # Post/Redirect/Get: a reload or the browser's Back never sends the answers again
    assert seen == [("GET", SURVEY, 200, None),
                    ("POST", SURVEY, 302, SURVEY), ("GET", SURVEY, 200, None),
                    ("POST", SURVEY, 302, "/r/"), ("GET", "/r/", 200, None)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_page_of_a_survey_is_one_statement_and_the_session(mini_questionnaire):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    Client().get(SURVEY)  # the first view in this process reads the questionnaire's pages
    client = Client()

    def sent(url, data=None) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, data) if data else client.get(url)
        assert response.status_code in (200, 302)
        return statements(queries)

    # the link: the questionnaire, the province and whether codes are asked, in one statement
    assert sent(SURVEY) == ["SELECT"]
    key = key_of(client.get(SURVEY))
    first = {"submission_id": key, "action": "next", "U01": "2", "Q01": "5"}
    # the first page sent: the session is made, in one INSERT (no look-up of the key first)
    assert sent(SURVEY, first) == ["SELECT", "INSERT"]
    # a page: the session, then the link
    assert sent(SURVEY) == ["SELECT", "SELECT"]
    # a page sent: the session, the link, the session written in one UPDATE
    assert sent(SURVEY, {"submission_id": key, "action": "back"}) == [
        "SELECT", "SELECT", "UPDATE"]
    assert sent(SURVEY, first) == ["SELECT", "SELECT", "UPDATE"]
    client.post(SURVEY, {"submission_id": key, "action": "submit"})
    # the receipt, shown once: the session read, and written without it
    assert sent("/r/") == ["SELECT", "UPDATE"]


def start_of(page) -> str:
    return re.search(r'name="start" value="([^"]+)"', page.content.decode()).group(1)


def test_opening_the_link_keeps_nothing_until_the_first_page_is_sent(client,
                                                                     mini_questionnaire):
    from django.contrib.sessions.models import Session

    page = client.get(SURVEY)
    assert page.status_code == 200 and "sessionid" not in page.cookies
    assert not Session.objects.exists()
    key = key_of(page)
    wrong = client.post(SURVEY, {"submission_id": key, "start": start_of(page),
                                 "action": "next", "U01": "1"})
    assert wrong.status_code == 200 and not Session.objects.exists()
    assert (key_of(wrong), start_of(wrong)) == (key, start_of(page))  # the same survey
    client.post(SURVEY, {"submission_id": key, "start": start_of(page), "action": "next",
                         "U01": "2", "Q01": "5"})
    assert Session.objects.count() == 1
    assert client.session["survey:mini-citizens:74"]["key"] == key
    assert 'name="start"' not in client.get(SURVEY).content.decode()


@pytest.fixture
def clock(monkeypatch):
    """time.time() in the survey views, moved on by hand (s)."""
    from surveys import views

    now = [1_800_000_000.0]
    monkeypatch.setattr(views, "time", type("Clock", (), {"time": staticmethod(lambda: now[0])}))
    return now


def test_the_completion_time_runs_from_when_the_first_page_was_shown(client, mini_questionnaire,
                                                                     clock):
    page = client.get(SURVEY)
    clock[0] += 75
    key = key_of(page)
    client.post(SURVEY, {"submission_id": key, "start": start_of(page), "action": "next",
                         "U01": "2", "Q01": "5"})
    clock[0] += 48
    client.post(SURVEY, {"submission_id": key, "action": "submit"})
    assert Submission.objects.get().duration_seconds == 123


@pytest.mark.parametrize("edit", ["another key", "tampered", "missing"])
def test_a_start_time_not_signed_for_this_survey_is_not_believed(client, mini_questionnaire,
                                                                 clock, edit):
    from django.core import signing

    page = client.get(SURVEY)
    key = key_of(page)
    start = {"another key": signing.dumps({"key": "other", "at": clock[0] - 3600},
                                          salt="surveys.survey-start"),
             "tampered": start_of(page)[:-2] + "xx", "missing": ""}[edit]
    client.post(SURVEY, {"submission_id": key, "start": start, "action": "next", "U01": "2",
                         "Q01": "5"})
    client.post(SURVEY, {"submission_id": key, "action": "submit"})
    assert (Submission.objects.get().key, Submission.objects.get().duration_seconds) == (
        key, None)


def test_a_first_page_sent_again_after_the_survey_gets_the_receipt(client, mini_questionnaire):
    page = client.get(SURVEY)
    first = {"submission_id": key_of(page), "start": start_of(page), "action": "submit",
             "U01": "2", "Q01": "5"}
    client.post(SURVEY, {**first, "action": "next"})
    assert client.post(SURVEY, {"submission_id": key_of(page), "action": "submit"}).url == "/r/"
    assert receipt_on(client.get("/r/")) == Submission.objects.get().receipt
    again = client.post(SURVEY, {**first, "action": "next"})  # the first page, from history
    assert (again.status_code, again.url) == (302, "/r/")
    assert Submission.objects.count() == 1 and "survey:mini-citizens:74" not in client.session


def test_a_page_shown_blank_is_rendered_once_for_everyone_in_each_language(
        client, mini_questionnaire):
    from django.test import Client

    def questions(page) -> str:
        html = page.content.decode()
        return html[html.index('<fieldset'):html.rindex('</fieldset>')]

    first = client.get(SURVEY)
    assert "surveys/_question.html" in [t.name for t in first.templates]
    again = Client().get(SURVEY)
    assert "surveys/_question.html" not in [t.name for t in again.templates]
    assert questions(again) == questions(first)
    english = Client()
    english.cookies["django_language"] = "en"
    page = english.get(SURVEY)
    assert "surveys/_question.html" in [t.name for t in page.templates]
    assert "Used a service?" in questions(page) and "Đã dùng" not in questions(page)


def test_a_page_kept_blank_follows_which_questions_the_earlier_answers_show(
        client, mini_questionnaire):
    from django.test import Client

    def q03_after_yes(data):
        data["sections"][1]["questions"][0]["show_if"] = {"question": "U01", "in": [1]}

    url = load_variant("mini-kept", q03_after_yes)
    shown = {}
    for _ in range(2):
        for used in ("1", "2"):
            browser = Client()
            key = key_of(browser.get(url))
            browser.post(url, {"submission_id": key, "action": "next", "U01": used, "Q01": "4",
                               "Q02": "3"})
            html = browser.get(url).content.decode()
            shown.setdefault(used, set()).add(tuple(re.findall(r'<fieldset[^>]*id="q-(\w+)"',
                                                               html)))
    assert shown == {"1": {("Q03", "Z01", "N01", "T01")}, "2": {("Z01", "N01", "T01")}}


def test_a_page_shown_again_shows_the_answers_kept_not_the_blank_page(
        client, mini_questionnaire):
    from django.test import Client

    Client().get(SURVEY)  # the blank first page is kept
    key = key_of(client.get(SURVEY))
    client.post(SURVEY, {"submission_id": key, "action": "next", "U01": "2", "Q01": "4"})
    client.post(SURVEY, {"submission_id": key, "action": "back"})
    page = client.get(SURVEY)
    assert checked_values(page, "U01") == ["2"] and checked_values(page, "Q01") == ["4"]
    assert "surveys/_question.html" in [t.name for t in page.templates]


# --- the survey link and the questionnaire's pages ---------------------------------------------

def test_a_citizens_link_to_an_officials_questionnaire_is_unknown(client, mini_officials):
    page = client.get("/s/mini-officials/01/")
    assert page.status_code == 404
    assert "Vui lòng kiểm tra lại địa chỉ, hoặc đề nghị cấp đường dẫn mới." in \
        page.content.decode()


def test_a_questionnaires_pages_are_read_once_per_loaded_version(mini_questionnaire,
                                                                 django_assert_num_queries):
    from surveys.models import Questionnaire
    from surveys.selectors import questionnaire_pages
    from surveys.services import load_questionnaire
    from tests.helpers import dump, fixture_data

    with django_assert_num_queries(3):  # sections, questions with their scales, options
        pages = questionnaire_pages(mini_questionnaire)
    assert [(p.section.code, [q.code for q in p.questions]) for p in pages] == [
        ("A", ["U01", "Q01", "Q02"]), ("B", ["Q03", "Z01", "N01", "T01"])]
    with django_assert_num_queries(0):
        assert questionnaire_pages(mini_questionnaire) is pages
        assert [o.label_en for o in pages[1].questions[1].scale.options.all()] == [
            "Time", "Cost", "Attitude"]
    data = fixture_data("mini-citizens.yaml")
    data["sections"][1]["questions"][1]["text"]["vi"] = "Cần cải thiện gì trước?"
    load_questionnaire(text=dump(data))
    reloaded = questionnaire_pages(Questionnaire.objects.get(code="mini-citizens"))
    assert reloaded[1].questions[1].text_vi == "Cần cải thiện gì trước?"
