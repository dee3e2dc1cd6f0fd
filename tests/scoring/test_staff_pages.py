"""Staff pages read as finished pages: words instead of codes, legends, the planner, the tree."""

import re

from django.urls import reverse

from scoring.models import QualityFlag
from scoring.selectors.precision import needed_respondents
from scoring.services.quality import set_excluded
from surveys.models import Submission


def test_a_reviewer_reads_a_flagged_submissions_answers_and_the_exclusion_note(review, client):
    s1 = Submission.objects.get(key="s1")
    QualityFlag.objects.create(submission=s1, reason="straight_liner",
                               detail="same answer to 12 of 14 scale questions in a row",
                               facts={"run": 12, "answered": 14})
    set_excluded(submission=s1, excluded=True, user=review["reviewer"], note="phiếu thử")
    client.force_login(review["reviewer"])
    html = client.get(reverse("scoring:quality-province", args=["mini-sipas", "74"])
                      ).content.decode()
    row = html[html.index('data-submission="s1"'):]
    row = row[:row.index("</form>")]
    assert "cùng một câu trả lời cho 12 trên 14 câu hỏi thang đo liên tiếp" in row
    assert "Xem 6 câu trả lời" in row  # U01, Q01, Q02, Q03 ("don't know"), Z01 (1|3), N01
    assert "5 · Rất hài lòng" in row and "1 · Thời gian; 3 · Thái độ" in row
    assert re.search(r'Loại bởi <span translate="no">reviewer</span>, \d\d/\d\d/\d{4} '
                     r"\d\d:\d\d: «phiếu thử»", row)
    assert "Khảo sát thử" in row  # the questionnaire's title, not its code


def test_monitoring_names_the_respondent_groups(review, client):
    client.force_login(review["reviewer"])
    html = client.get(reverse("scoring:monitoring", args=[2024])).content.decode()
    header = html[html.index("<thead>"):html.index("</thead>")]
    assert "Người dân" in header and "mini-citizens" not in header.split("href")[0]


def test_the_planner_comes_from_the_published_totals_interval():
    # 100 respondents with an interval of ±4 points: ±2 needs four times as many
    assert needed_respondents(100, 80, 88, 2.0) == 400
    assert needed_respondents(100, 80, 88, 4.0) == 100
    assert needed_respondents(57, 70, 71, 3.0) == 2  # already narrow enough: at least 1 more
    assert needed_respondents(0, 80, 88, 2.0) is None
    assert needed_respondents(100, None, None, 2.0) is None


def test_the_ranking_explains_its_columns_and_shows_the_sort(review, client):
    client.force_login(review["reviewer"])
    html = client.get(reverse("scoring:ranking", args=["mini-par"]) + "?sort=delta&order=desc"
                      ).content.decode()
    assert 'id="legend"' in html and "Ý nghĩa các cột" in html
    assert 'aria-sort="descending"' in html and "▼" in html
    assert '<figure><svg' in html  # the chart
    # mini-par is out of 10 points: points and percent differ, both are shown
    assert html.count('class="text-end">Điểm</th>') == 1


def test_the_profile_has_visible_expand_controls(review, client):
    client.force_login(review["reviewer"])
    url = reverse("scoring:province", args=["mini-par", "74"])
    html = client.get(url).content.decode()
    assert '<span class="toggle" aria-hidden="true"></span>' in html
    assert 'id="expand-all"' in html and ' open>' not in html
    opened = client.get(url + "?open=all").content.decode()
    assert 'id="node-1" open>' in opened and 'id="collapse-all"' in opened


def test_one_number_format_per_language(review, client):
    client.force_login(review["reviewer"])
    url = reverse("scoring:province", args=["mini-par", "74"])
    assert 'id="province-total">73,96<' in client.get(url).content.decode()
    client.cookies["django_language"] = "en"
    assert 'id="province-total">73.96<' in client.get(url).content.decode()
    # downloads keep the spec's machine format whatever the language
    csv = client.get(reverse("scoring:download", args=["mini-par", "total", "csv"]))
    assert "7.40,10.00,73.96" in csv.content.decode("utf-8-sig")
