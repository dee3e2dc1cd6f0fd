"""Publishing in a browser: confirm, read it as the public, recompute, withdraw (spec §10);
axe-core on the public, survey and staff pages; screenshots of what the public and staff see."""

import io
import urllib.request
from urllib.parse import urlencode, urlparse

import pytest
from django.core.cache import cache
from django.core.management import call_command

from scoring.models import Index, Node, Publication, Role
from tests.browser.helpers import DESKTOP, INDEX, PHONE, shoot, sign_in, violations
from tests.helpers import make_user

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def site(live_server):
    call_command("seed_demo", "--scale", "0.01", stdout=io.StringIO())
    call_command("compute_scores", "--all", stdout=io.StringIO())
    return {"url": live_server.url, "reviewer": make_user("reviewer", Role.REVIEWER),
            "admin": make_user("admin", Role.ADMINISTRATOR, superuser=True)}


def export(*args) -> bytes:
    out = io.StringIO()
    call_command("export_scores", *args, stdout=out)
    return out.getvalue().encode("utf-8")


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def public_table(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#ranking tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def test_publish_read_as_the_public_recompute_and_withdraw(site, new_context):
    base = site["url"]
    staff = new_context(DESKTOP).new_page()
    sign_in(staff, base, "reviewer")
    staff.goto(f"{base}/review/{INDEX}/ranking/")
    with staff.expect_navigation():
        staff.click(f'a[href="/review/{INDEX}/publish/"]')
    assert staff.inner_text("#summary-ranked") == "63"
    assert staff.inner_text("#summary-without").startswith("0")
    assert int(staff.inner_text("#summary-flags").split()[0]) >= 0
    # nothing is published without the note the confirmation asks for
    with staff.expect_navigation():
        staff.click("main form button[type=submit]")
    assert not Publication.objects.exists()
    staff.fill("textarea[name=note]", "Kết quả chính thức Chỉ số CCHC năm 2024")
    with staff.expect_navigation():
        staff.click("main form button[type=submit]")
    assert Publication.objects.get().version == 1
    published_total = export("--index", INDEX, "--level", "total", "--published", "1")

    # an anonymous visitor: the list, the ranking, the open data
    public = new_context(PHONE).new_page()
    assert public.goto(f"{base}/").status == 200
    with public.expect_navigation():
        public.click(f'#published-results a[href="/results/{INDEX}/"]')
    rows = public_table(public)
    assert len(rows) == 63
    exported = [line.split(",") for line in
                published_total.decode("utf-8").removeprefix("\ufeff").splitlines()[1:]]
    # rank, province, total (points), group, Δ points, Δ rank: the export's numbers, as shown
    assert [[r[0], r[1], r[2].replace(",", "."), r[3]] for r in rows] == [
        [e[5] or "–", e[1], e[2], e[6] or "–"] for e in exported]
    assert fetch(f"{base}/results/{INDEX}/total.csv") == (200, published_total)
    shoot(public, "public-ranking-vi-phone.png")
    with public.expect_navigation():
        public.click('#ranking a[href="/results/par-2024/74/"]')
    assert public.inner_text("h1") == "Tỉnh Bình Dương"
    shoot(public, "public-province-vi-phone.png")

    # a changed score and a recompute change nothing the public sees
    public.goto(f"{base}/results/{INDEX}/")
    before = public_table(public)
    index = Index.objects.get(code=INDEX)
    node = index.nodes.filter(level=3, method="appraisal").first()
    staff.goto(f"{base}/review/{INDEX}/province/74/assessments/")
    staff.fill(f"#score-{node.pk}", "0")
    with staff.expect_navigation():
        staff.click("main form[method=post] button[type=submit]")
    call_command("compute_scores", "--index", INDEX, stdout=io.StringIO())
    assert export("--index", INDEX, "--level", "total") != published_total
    cache.clear()
    public.goto(f"{base}/results/{INDEX}/")
    assert public_table(public) == before
    assert fetch(f"{base}/results/{INDEX}/total.csv") == (200, published_total)

    # withdrawn: the public pages answer 404; an index never published is 404 too
    staff.goto(f"{base}/review/{INDEX}/publish/")
    staff.fill("#reason-1", "Sai điểm thẩm định của Bình Dương")
    with staff.expect_navigation():
        staff.click('tr[data-version="1"] button[type=submit]')
    assert "đã rút" in staff.inner_text("#publications")
    for path in (f"/results/{INDEX}/", f"/results/{INDEX}/total.csv", f"/results/{INDEX}/74/",
                 "/results/sipas-2025/"):
        assert fetch(f"{base}{path}")[0] == 404, path


def test_axe_finds_no_serious_violation_on_public_survey_and_staff_pages(site, browser):
    base = site["url"]
    from scoring.services.publishing import publish_index

    publish_index(index=Index.objects.get(code=INDEX), user=None, note="v1")
    from surveys.models import Questionnaire

    questionnaire = Questionnaire.objects.get(code="sipas-2025")
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)  # to run axe's script
    page = context.new_page()
    found = {}
    public = ["/", "/results/", f"/results/{INDEX}/", f"/results/{INDEX}/74/",
              "/s/sipas-2025/79/", "/accounts/login/", "/no-such-page/"]
    for path in public:
        page.goto(f"{base}{path}")
        found[path] = violations(page)
    sign_in(page, base, "admin")
    staff = ["/review/", f"/review/{INDEX}/ranking/", f"/review/{INDEX}/province/74/",
             f"/review/{INDEX}/province/74/assessments/", f"/review/{INDEX}/precision/",
             "/review/sipas-2024/precision/",
             f"/review/{INDEX}/quality/", f"/review/{INDEX}/sensitivity/",
             f"/review/{INDEX}/index-audit/",
             "/review/method/intervals/",
             f"/review/{INDEX}/publish/", "/review/monitoring/2025/", "/review/audit/",
             "/admin/", "/admin/scoring/auditevent/", "/admin/surveys/questionnaire/",
             "/admin/scoring/staffrole/add/",
             f"/admin/auth/user/{site['admin'].pk}/change/",
             f"/admin/surveys/questionnaire/{questionnaire.pk}/change/",
             f"/admin/surveys/questionnaire/{questionnaire.pk}/distribute/",
             f"/admin/scoring/publication/{Publication.objects.get().pk}/change/"]
    # the index audit with the explorer's results shown
    weights = {f"w-{code}": f"{points}" for code, points in Node.objects.filter(
        index__code=INDEX, level=1).values_list("code", "max_points")}
    staff.append(f"/review/{INDEX}/index-audit/?{urlencode({**weights, 'w-1': '30'})}"
                 "&drop=1.1")
    for path in staff:
        page.goto(f"{base}{path}")
        found[path] = violations(page)
    context.close()
    assert {path: v for path, v in found.items() if v} == {}


def test_axe_finds_no_serious_violation_along_a_citizens_and_an_officials_way(site, browser):
    from surveys.intake import issue_invitations
    from surveys.models import Province, Questionnaire
    from tests.browser.helpers import (
        IMPLEMENTATION,
        POLICY_MAKING,
        PRIORITIES,
        PROFILE,
        SCREENING,
        answer,
        press,
    )

    base = site["url"]
    officials = Questionnaire.objects.get(code="shs-dept-leaders-2025")
    [token] = issue_invitations(questionnaire=officials, count=1, province=Province.objects.get(
        province_set=officials.province_set, code="79"))
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # to run axe's script
    page = context.new_page()
    found = {}
    page.goto(f"{base}/s/sipas-2025/79/")
    press(page, "next")  # nothing answered: the error summary and a message per question
    assert page.locator("#error-summary").is_visible()
    found["survey, errors"] = violations(page)
    for step, answers in enumerate((PROFILE, POLICY_MAKING, IMPLEMENTATION, SCREENING), 1):
        answer(page, answers)
        press(page, "next")
        found[f"survey, page {step + 1}"] = violations(page)
    answer(page, PRIORITIES)
    press(page, "submit")
    assert urlparse(page.url).path == "/r/"
    found["receipt"] = violations(page)
    page.goto(f"{base}/i/{token}/")
    found["invitation"] = violations(page)
    press(page, "next")
    assert page.locator("#error-summary").is_visible()
    found["invitation, errors"] = violations(page)
    context.close()
    assert {where: v for where, v in found.items() if v} == {}


def test_the_ranking_with_its_legend_and_the_audit_log_are_captured(site, new_context):
    base = site["url"]
    page = new_context(DESKTOP).new_page()
    sign_in(page, base, "admin")
    page.goto(f"{base}/review/{INDEX}/ranking/")
    assert page.locator("#legend").is_visible()
    shoot(page, "review-ranking-legend.png")
    page.goto(f"{base}/review/audit/")
    assert page.locator("table").first.is_visible()
    shoot(page, "review-audit-log.png")
    assert urlparse(page.url).path == "/review/audit/"
