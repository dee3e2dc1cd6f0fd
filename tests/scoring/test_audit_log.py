"""The audit log reads as a record: each event in words, filtered, bounded, downloadable."""

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from scoring.audit_text import SENTENCES, AuditNames, describe
from scoring.models import AuditEvent
from tests.vietnamese import english_or_codes

Action = AuditEvent.Action
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")

# Province 15 is Yên Bái among the 63 provinces (set 1) and Lào Cai among the 34 units (set 2).
NAMES = {
    "vi": AuditNames(
        provinces={(1, "74"): "Tỉnh Bình Dương", (1, "15"): "Tỉnh Yên Bái",
                   (2, "15"): "Tỉnh Lào Cai", (1, "01"): "Thành phố Hà Nội"},
        any_set={"74": "Tỉnh Bình Dương", "15": "Tỉnh Yên Bái / Tỉnh Lào Cai",
                 "01": "Thành phố Hà Nội"},
        index_sets={"par-2024": 1, "par-2025": 2}, questionnaire_sets={"sipas-2024": 1},
        indices={"par-2024": "Chỉ số CCHC 2024", "par-2025": "Chỉ số CCHC 2025"},
        questionnaires={"sipas-2024": "Khảo sát SIPAS 2024"}),
    "en": AuditNames(
        provinces={(1, "74"): "Binh Duong", (1, "15"): "Yen Bai", (2, "15"): "Lao Cai",
                   (1, "01"): "Ha Noi"},
        any_set={"74": "Binh Duong", "15": "Yen Bai / Lao Cai", "01": "Ha Noi"},
        index_sets={"par-2024": 1, "par-2025": 2}, questionnaire_sets={"sipas-2024": 1},
        indices={"par-2024": "PAR Index 2024", "par-2025": "PAR Index 2025"},
        questionnaires={"sipas-2024": "SIPAS survey 2024"}),
}

SCORE = {"index": "par-2024", "province": "74", "via": "web", "component": "1.1.1",
         "field": "appraised_score", "old": "0.43", "new": "0.40"}

PAPER = {"via": "web", "batch": 7, "questionnaire": "sipas-2024", "province": "74"}

# (action, detail, count, Vietnamese, English): every shape the services write today.
EVENTS = [
    (Action.SCORE_CHANGED, SCORE, 1,
     "Đã đổi điểm thẩm định 1.1.1 của Tỉnh Bình Dương: 0,43 → 0,40 (Chỉ số CCHC 2024)",
     "Changed the appraised score of 1.1.1 for Binh Duong: 0.43 → 0.40 (PAR Index 2024)"),
    (Action.SCORE_CHANGED, {**SCORE, "field": "self_score", "old": None, "new": "1.5"}, 1,
     "Đã đổi điểm tự đánh giá 1.1.1 của Tỉnh Bình Dương: — → 1,5 (Chỉ số CCHC 2024)",
     "Changed the self-assessed score of 1.1.1 for Binh Duong: — → 1.5 (PAR Index 2024)"),
    (Action.SCORE_CHANGED, {**SCORE, "index": "par-2025", "province": "15"}, 1,
     "Đã đổi điểm thẩm định 1.1.1 của Tỉnh Lào Cai: 0,43 → 0,40 (Chỉ số CCHC 2025)",
     "Changed the appraised score of 1.1.1 for Lao Cai: 0.43 → 0.40 (PAR Index 2025)"),
    (Action.NOTE_CHANGED, {**SCORE, "field": "evidence", "old": "", "new": "Quyết định 12"}, 1,
     "Đã đổi minh chứng 1.1.1 của Tỉnh Bình Dương: (trống) → «Quyết định 12» (Chỉ số CCHC 2024)",
     "Changed the evidence of 1.1.1 for Binh Duong: (empty) → «Quyết định 12» (PAR Index 2024)"),
    (Action.ROLE_CHANGED, {"staff": "officer15", "role": "province_officer", "province": "15",
                           "previous_role": None, "previous_province": None}, 1,
     "Đã giao vai trò cho officer15: Cán bộ của tỉnh, Tỉnh Yên Bái / Tỉnh Lào Cai",
     "Gave officer15 the role: Province officer, Yen Bai / Lao Cai"),
    (Action.ROLE_CHANGED, {"staff": "officer74", "role": "reviewer", "province": None,
                           "previous_role": "province_officer", "previous_province": "74"}, 1,
     "Đã đổi vai trò của officer74: Cán bộ của tỉnh, Tỉnh Bình Dương → Cán bộ thẩm định của Bộ",
     "Changed the role of officer74: Province officer, Binh Duong → Ministry reviewer"),
    (Action.ROLE_CHANGED, {"staff": "officer74", "role": None, "province": None,
                           "previous_role": "reviewer", "previous_province": None}, 1,
     "Đã thu hồi vai trò của officer74 (trước đó: Cán bộ thẩm định của Bộ)",
     "Removed the role of officer74 (was: Ministry reviewer)"),
    (Action.ACCOUNT_CHANGED, {"account": "lan", "created": True,
                              "changes": {"is_staff": [None, True], "password": "changed"}}, 1,
     "Đã tạo tài khoản lan: quyền vào trang quản trị: — → có; đã đổi mật khẩu",
     "Created the account lan: staff status: — → yes; password changed"),
    (Action.ACCOUNT_CHANGED, {"account": "lan", "created": False,
                              "changes": {"is_superuser": [False, True],
                                          "groups": [[], ["analysts"]]}}, 1,
     "Đã sửa tài khoản lan: toàn quyền quản trị: không → có; nhóm: — → analysts",
     "Changed the account lan: superuser status: no → yes; groups: — → analysts"),
    (Action.ACCOUNT_CHANGED, {"account": "lan", "deleted": True, "role": "reviewer"}, 1,
     "Đã xoá tài khoản lan (vai trò: Cán bộ thẩm định của Bộ)",
     "Deleted the account lan (role: Ministry reviewer)"),
    (Action.LOGIN, {"via": "admin"}, 1, "Đã đăng nhập", "Signed in"),
    (Action.LOGIN_FAILED, {"username": "reviewer", "via": "site"}, 1,
     "Đăng nhập không thành công với tên đăng nhập «reviewer»", "Failed sign-in as «reviewer»"),
    (Action.LOGIN_LOCKED, {"username": "reviewer", "via": "site", "reason": "locked"}, 4,
     "Từ chối đăng nhập với tên đăng nhập «reviewer», 4 lần: bị khoá do đăng nhập sai quá "
     "nhiều lần",
     "Sign-in as «reviewer» refused, 4 times: locked out after too many failed attempts"),
    (Action.RECOMPUTE, {"index": "par-2024", "recompute": 7, "via": "command"}, 1,
     "Đã bắt đầu tính lại toàn bộ Chỉ số CCHC 2024",
     "Started a full recompute of PAR Index 2024"),
    (Action.DOWNLOAD, {"index": "par-2024", "level": "component", "format": "csv",
                       "version": "v2", "rows": 126, "intervals": False, "provinces": "all"}, 1,
     "Đã tải về Chỉ số CCHC 2024 theo tiêu chí thành phần, phiên bản công bố 2 "
     "(CSV, 126 dòng, tất cả các tỉnh)",
     "Downloaded PAR Index 2024 by components, published version 2 (CSV, 126 rows, "
     "all provinces)"),
    (Action.DOWNLOAD, {"index": "par-2024", "level": "total", "format": "xlsx",
                       "version": "current", "rows": 1, "intervals": True,
                       "provinces": ["74"]}, 1,
     "Đã tải về Chỉ số CCHC 2024 theo tổng, kết quả tính hiện tại, kèm khoảng tin cậy "
     "(XLSX, 1 dòng, Tỉnh Bình Dương)",
     "Downloaded PAR Index 2024 by totals, the current computation, with intervals "
     "(XLSX, 1 row, Binh Duong)"),
    (Action.DOWNLOAD, {"index": "par-2024", "level": "quality", "format": "csv",
                       "version": "current", "rows": 3, "provinces": "all"}, 1,
     "Đã tải về danh sách cờ chất lượng dữ liệu của Chỉ số CCHC 2024 "
     "(CSV, 3 dòng, tất cả các tỉnh)",
     "Downloaded the quality flags of PAR Index 2024 (CSV, 3 rows, all provinces)"),
    (Action.DOWNLOAD, {"questionnaire": "sipas-2024", "format": "csv", "kind": "submissions"},
     1, "Đã tải về toàn bộ phiếu khảo sát của Khảo sát SIPAS 2024 (CSV)",
     "Downloaded every submission of SIPAS survey 2024 (CSV)"),
    (Action.DOWNLOAD, {"kind": "audit", "format": "csv", "rows": 2, "filters": {}}, 1,
     "Đã tải về nhật ký hệ thống (CSV, 2 dòng)", "Downloaded the audit log (CSV, 2 rows)"),
    (Action.EXCLUDED, {"submission": "s1", "questionnaire": "sipas-2024", "province": "74",
                       "reasons": ["speeder", "straight_liner"], "note": "trả lời 20 giây"}, 1,
     "Đã loại phiếu s1 khỏi kết quả (Tỉnh Bình Dương, Khảo sát SIPAS 2024); cờ: Trả lời quá "
     "nhanh, Trả lời một đáp án; ghi chú: «trả lời 20 giây»",
     "Excluded submission s1 (Binh Duong, SIPAS survey 2024); flags: Speeder, Straight-liner; "
     "note: «trả lời 20 giây»"),
    (Action.RESTORED, {"submission": "s1", "questionnaire": "sipas-2024", "province": "74",
                       "reasons": [], "note": ""}, 1,
     "Đã tính lại phiếu s1 vào kết quả (Tỉnh Bình Dương, Khảo sát SIPAS 2024)",
     "Counted submission s1 again (Binh Duong, SIPAS survey 2024)"),
    (Action.PUBLISHED, {"index": "par-2024", "version": 1}, 1,
     "Đã công bố Chỉ số CCHC 2024, phiên bản 1", "Published PAR Index 2024, version 1"),
    (Action.PUBLISHED, {"index": "par-2024", "version": 3, "note": "Sửa điểm 74",
                        "correction": True}, 1,
     "Đã công bố Chỉ số CCHC 2024, phiên bản 3 (bản đính chính); ghi chú: «Sửa điểm 74»",
     "Published PAR Index 2024, version 3 (a correction); note: «Sửa điểm 74»"),
    (Action.WITHDRAWN, {"index": "par-2024", "version": 2, "reason": "Sai số liệu"}, 1,
     "Đã rút lại Chỉ số CCHC 2024, phiên bản 2; lý do: «Sai số liệu»",
     "Withdrew PAR Index 2024, version 2; reason: «Sai số liệu»"),
    (Action.UNCERTAINTY, {"index": "par-2024", "run": 4, "seed": 20240, "replicates": 1000}, 1,
     "Đã bắt đầu tính khoảng tin cậy của Chỉ số CCHC 2024: 1000 lần lặp bootstrap, "
     "hạt giống 20240",
     "Started the intervals of PAR Index 2024: 1000 bootstrap replicates, seed 20240"),
    (Action.WEIGHTS, {"questionnaire": "sipas-2024", "margins": 12}, 1,
     "Đã nạp 12 tỷ lệ tổng thể cho Khảo sát SIPAS 2024",
     "Loaded 12 population shares for SIPAS survey 2024"),
    (Action.WEIGHTS, {"index": "par-2024", "weighted_submissions": 220, "notes": 1,
                      "collapsed": 0}, 1,
     "Đã tính trọng số khảo sát của Chỉ số CCHC 2024: 220 phiếu có trọng số, 1 ghi chú, "
     "0 nhóm được gộp",
     "Computed the survey weights of PAR Index 2024: 220 submissions weighted, 1 notes, "
     "0 categories merged"),
    (Action.PAPER_BATCH, {**PAPER, "serials": "1001-1003", "forms": 3,
                          "collected_by": "Bưu điện tỉnh", "arrived_on": "2024-10-01"}, 1,
     "Đã đăng ký lô phiếu giấy 7 của Khảo sát SIPAS 2024 cho Tỉnh Bình Dương: 3 phiếu (số sê-ri "
     "1001-1003), do «Bưu điện tỉnh» thu về, đến ngày 2024-10-01",
     "Registered paper batch 7 of SIPAS survey 2024 for Binh Duong: 3 forms (serial numbers "
     "1001-1003), collected by «Bưu điện tỉnh», arrived on 2024-10-01"),
    (Action.PAPER_KEYED, {**PAPER, "serial": 1002, "keying": 1, "outcome": "keyed_once",
                          "differing": []}, 1,
     "Đã nhập phiếu giấy 1002 (lô 7) lần thứ nhất",
     "Keyed paper form 1002 (batch 7) for the first time"),
    (Action.PAPER_KEYED, {**PAPER, "serial": 1002, "keying": 2, "outcome": "stored",
                          "differing": [], "submission": "5b0e…"}, 1,
     "Đã nhập phiếu giấy 1002 (lô 7) lần thứ hai, trùng khớp: đã lưu thành phiếu trả lời 5b0e…",
     "Keyed paper form 1002 (batch 7) a second time, alike: stored as submission 5b0e…"),
    (Action.PAPER_KEYED, {**PAPER, "serial": 1003, "keying": 2, "outcome": "disagree",
                          "differing": ["P05", "Z01"]}, 1,
     "Đã nhập phiếu giấy 1003 (lô 7) lần thứ hai, khác nhau ở P05, Z01: chuyển cho giám sát",
     "Keyed paper form 1003 (batch 7) a second time, with differences on P05, Z01: sent to "
     "the supervisor"),
    (Action.PAPER_RESOLVED, {**PAPER, "serial": 1003, "submission": "9c1d…", "changes": {
        "P05": {"first": 2, "second": 3, "paper": 2},
        "Z01": {"first": [1, 3], "second": None, "paper": [1, 3]}}}, 1,
     "Đã xử lý phiếu giấy 1003 (lô 7) theo phiếu gốc, lưu thành phiếu trả lời 9c1d…: "
     "P05: 2 / 3 → 2; Z01: 1 3 / để trống → 1 3",
     "Resolved paper form 1003 (batch 7) from the paper, stored as submission 9c1d…: "
     "P05: 2 / 3 → 2; Z01: 1 3 / blank → 1 3"),
    (Action.SCENARIO, {"index": "par-2024", "name": "Lĩnh vực 1 gấp đôi",
                       "weights": {"1": "19", "2": "12.5"}, "dropped": ["8.5"], "via": "web"},
     1, "Đã lưu kịch bản giả định «Lĩnh vực 1 gấp đôi» của Chỉ số CCHC 2024; tiêu chí bỏ ra: 8.5",
     "Saved the what-if scenario «Lĩnh vực 1 gấp đôi» of PAR Index 2024; criteria left out: "
     "8.5"),
]


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(("action", "detail", "count", "vi", "en"), EVENTS,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(EVENTS)])
def test_each_event_reads_as_a_sentence(action, detail, count, vi, en, language):
    with translation.override(language):
        assert describe(action, detail, NAMES[language], count=count) == \
            {"vi": vi, "en": en}[language]


def test_every_action_has_its_sentence():
    assert set(SENTENCES) == set(Action.values)
    assert {e[0] for e in EVENTS} == set(Action.values)


@pytest.mark.parametrize(("action", "detail", "vi"), [
    (Action.SCORE_CHANGED, {"index": "par-2024", "component": "1.1.1"},
     "Thay đổi điểm — index: par-2024; component: 1.1.1"),
    ("renamed_long_ago", {"count": 2, "done": True, "who": None, "items": ["a", "b"],
                          "more": {"x": 1}},
     "renamed long ago — count: 2; done: có; who: —; items: a, b; more: x: 1"),
    (Action.LOGIN, ["not", "a", "mapping"], "Đã đăng nhập"),
])
def test_an_unknown_shape_still_reads_as_words(action, detail, vi):
    with translation.override("vi"):
        text = describe(action, detail, NAMES["vi"])
    assert text == vi and "{" not in text and '"' not in text


# --- the page and its download --------------------------------------------------------------------

def _event(action, detail, *, user=None, at=None, address=None, count=1):
    event = AuditEvent.objects.create(action=action, detail=detail, user=user, address=address,
                                      count=count)
    if at is not None:
        AuditEvent.objects.filter(pk=event.pk).update(at=at)
    return event


@pytest.fixture
def log(review, client):
    """An administrator signed in, and a log of several kinds of event on the mini indices
    (provinces 74 and 01 of the 63), nothing else."""
    client.force_login(review["superuser"])
    AuditEvent.objects.all().delete()
    reviewer = review["reviewer"]
    at = datetime(2024, 9, 2, 8, 30, 5, tzinfo=HANOI)
    _event(Action.SCORE_CHANGED, {**SCORE, "index": "mini-par"}, user=reviewer, at=at,
           address="10.1.2.3")
    _event(Action.LOGIN_FAILED, {"username": "reviewer", "via": "site"},
           at=datetime(2024, 9, 1, 23, 59, 59, tzinfo=HANOI), address="10.1.2.3")
    _event(Action.ROLE_CHANGED, {"staff": "officer01", "role": "province_officer",
                                 "province": "01", "previous_role": None,
                                 "previous_province": None}, user=review["superuser"],
           at=datetime(2024, 9, 3, 7, 0, 0, tzinfo=HANOI), address="10.9.9.9")
    _event(Action.RECOMPUTE, {"index": "mini-sipas", "recompute": 3, "via": "command"},
           at=datetime(2024, 9, 4, 1, 2, 3, tzinfo=HANOI))
    _event(Action.EXCLUDED, {"submission": "s1", "questionnaire": "mini-citizens",
                             "province": "74", "reasons": ["speeder"], "note": ""},
           user=reviewer, at=datetime(2024, 9, 5, 10, 0, 0, tzinfo=HANOI))
    return review


def rows(html: str) -> list[list[str]]:
    """The audit table's rows as lists of cell texts."""
    import re

    body = html.split('id="audit"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_log_reads_as_a_record_in_vietnamese(log, client):
    html = client.get(reverse("scoring:audit")).content.decode()
    assert rows(html) == [
        ["05/09/2024 10:00:00", "reviewer", "—", "Loại phiếu khỏi kết quả",
         "Đã loại phiếu s1 khỏi kết quả (Tỉnh Bình Dương, Khảo sát thử); cờ: Trả lời quá nhanh"],
        ["04/09/2024 01:02:03", "—", "dòng lệnh", "Bắt đầu tính lại",
         "Đã bắt đầu tính lại toàn bộ SIPAS thử"],
        ["03/09/2024 07:00:00", "root", "10.9.9.9", "Thay đổi vai trò",
         "Đã giao vai trò cho officer01: Cán bộ của tỉnh, Thành phố Hà Nội"],
        ["02/09/2024 08:30:05", "reviewer", "trang web, 10.1.2.3", "Thay đổi điểm",
         "Đã đổi điểm thẩm định 1.1.1 của Tỉnh Bình Dương: 0,43 → 0,40 (Chỉ số thử)"],
        ["01/09/2024 23:59:59", "—", "trang web, 10.1.2.3", "Đăng nhập thất bại",
         "Đăng nhập không thành công với tên đăng nhập «reviewer»"],
    ]
    assert english_or_codes(html) == []


def test_the_log_reads_as_a_record_in_english(log, client):
    client.cookies["django_language"] = "en"
    html = client.get(reverse("scoring:audit")).content.decode()
    assert rows(html)[3] == [
        "02/09/2024 08:30:05", "reviewer", "web page, 10.1.2.3", "Score changed",
        "Changed the appraised score of 1.1.1 for Binh Duong: 0.43 → 0.40 (Trial index)"]


@pytest.mark.parametrize(("query", "expected"), [
    ({"person": "reviewer"}, ["05/09/2024 10:00:00", "02/09/2024 08:30:05",
                              "01/09/2024 23:59:59"]),
    ({"action": "role_changed"}, ["03/09/2024 07:00:00"]),
    ({"province": "74"}, ["05/09/2024 10:00:00", "02/09/2024 08:30:05"]),
    ({"province": "01"}, ["03/09/2024 07:00:00"]),
    ({"date_from": "2024-09-02", "date_to": "2024-09-04"},
     ["04/09/2024 01:02:03", "03/09/2024 07:00:00", "02/09/2024 08:30:05"]),
    ({"date_from": "2024-09-05"}, ["05/09/2024 10:00:00"]),
    ({"person": "reviewer", "date_to": "2024-09-01"}, ["01/09/2024 23:59:59"]),
])
def test_the_log_filters_by_person_action_province_and_days(log, client, query, expected):
    html = client.get(reverse("scoring:audit"), query).content.decode()
    assert [row[0] for row in rows(html)] == expected


def test_filters_in_the_wrong_order_are_said_and_filter_nothing(log, client):
    html = client.get(reverse("scoring:audit"), {"date_from": "2024-09-05",
                                                 "date_to": "2024-09-01"}).content.decode()
    assert "Ngày bắt đầu đang sau ngày kết thúc." in html
    assert len(rows(html)) == 5


def test_the_page_makes_a_bounded_number_of_queries_and_shows_at_most_500(
        log, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert client.get(reverse("scoring:audit")).status_code == 200
    AuditEvent.objects.bulk_create([
        AuditEvent(action=Action.SCORE_CHANGED, user=log["reviewer"],
                   detail={**SCORE, "index": "mini-par" if i % 2 else "mini-sipas",
                           "province": "74" if i % 3 else "01"})
        for i in range(500)])
    with django_assert_max_num_queries(10):
        html = client.get(reverse("scoring:audit")).content.decode()
    assert len(rows(html)) == 500
    assert ("Đang hiển thị 500 sự kiện gần nhất trong tổng số 505. Hãy thu hẹp bộ lọc, "
            "hoặc tải nhật ký về để xem đầy đủ.") in html
    few = client.get(reverse("scoring:audit"), {"action": "excluded"}).content.decode()
    assert 'id="audit-more"' not in few


def test_the_filtered_log_downloads_as_csv_and_the_download_is_audited(log, client):
    page = client.get(reverse("scoring:audit"), {"province": "74"}).content.decode()
    assert 'href="/review/audit.csv?province=74"' in page
    response = client.get(reverse("scoring:audit-download"), {"province": "74"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0] == ["at", "user", "action", "province", "address", "via", "description",
                        "detail"]
    assert table[2] == [
        "2024-09-02T08:30:05+07:00", "reviewer", "score_changed", "74", "10.1.2.3", "web",
        "Đã đổi điểm thẩm định 1.1.1 của Tỉnh Bình Dương: 0,43 → 0,40 (Chỉ số thử)",
        json.dumps({**SCORE, "index": "mini-par"}, ensure_ascii=False, sort_keys=True)]
    assert [row[0] for row in table[1:]] == ["2024-09-05T10:00:00+07:00",
                                            "2024-09-02T08:30:05+07:00"]
    event = AuditEvent.objects.get(action="download")
    assert (event.user, event.detail) == (log["superuser"], {
        "kind": "audit", "format": "csv", "rows": 2, "filters": {"province": "74"}})
    client.cookies["django_language"] = "en"
    english = list(csv.reader(io.StringIO(client.get(
        reverse("scoring:audit-download"), {"province": "74"}).content.decode("utf-8-sig"))))
    assert english[2][6] == ("Changed the appraised score of 1.1.1 for Binh Duong: "
                             "0.43 → 0.40 (Trial index)")
