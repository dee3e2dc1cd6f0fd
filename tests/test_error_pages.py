"""Error pages are the site's own, in Vietnamese or English, with a way back; no 403 traceback."""

import json
import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, override_settings

from scoring.models import Role, StaffRole

ENGLISH = {"django_language": "en"}


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False
    cache.clear()  # rate-limit counters


def heading(response) -> tuple[str, str]:
    """The page's <title> and <h1>."""
    html = response.content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).strip()
    return title, h1


def links(response) -> list[str]:
    return re.findall(r'<a class="btn[^"]*" href="([^"]*)"', response.content.decode())


def client_in(language: str | None) -> Client:
    client = Client(raise_request_exception=False)
    if language:
        client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize(("language", "title"), [(None, "Không tìm thấy trang"),
                                                 ("en", "Page not found")])
def test_unknown_address_gives_the_sites_404_page(db, language, title):
    response = client_in(language).get("/no-such-page/")
    assert response.status_code == 404
    assert heading(response) == (title, title)
    assert f'<html lang="{language or "vi"}">' in response.content.decode()
    assert links(response) == ["/"]


@pytest.mark.parametrize(("language", "title", "advice"), [
    (None, "Không có quyền truy cập trang này", "Tài khoản này chưa được phân vai trò."),
    ("en", "No access to this page", "This account has no staff role yet."),
])
def test_signed_in_account_without_a_role_gets_the_403_page_with_sign_out(
        db, language, title, advice):
    client = client_in(language)
    client.force_login(get_user_model().objects.create_user("visitor"))
    response = client.get("/review/")
    html = response.content.decode()
    assert response.status_code == 403
    assert heading(response) == (title, title)
    assert advice in html
    assert '<form action="/accounts/logout/" method="post">' in html
    assert links(response) == ["/"]


def test_staff_refused_a_page_get_a_link_back_to_the_review_pages(db):
    reviewer = get_user_model().objects.create_user("reviewer")
    StaffRole.objects.create(user=reviewer, role=Role.REVIEWER)
    client = client_in("en")
    client.force_login(reviewer)
    response = client.get("/review/audit/")
    assert response.status_code == 403
    assert heading(response) == ("No access to this page", "No access to this page")
    assert links(response) == ["/review/", "/"]


@override_settings(ROOT_URLCONF="tests.error_urls")
def test_anonymous_visitor_refused_a_page_is_offered_the_log_in(db):
    response = client_in(None).get("/test-forbidden/")
    assert response.status_code == 403
    assert heading(response)[1] == "Không có quyền truy cập trang này"
    assert links(response) == ["/accounts/login/?next=/test-forbidden/", "/"]


@override_settings(ROOT_URLCONF="tests.error_urls")
@pytest.mark.parametrize(("language", "title"), [(None, "Hệ thống đã gặp lỗi"),
                                                 ("en", "Something went wrong on our side")])
def test_a_bug_gives_the_500_page_without_touching_the_database(
        db, language, title, django_assert_num_queries):
    client = client_in(language)
    client.force_login(get_user_model().objects.create_user("reviewer"))
    with django_assert_num_queries(1) as queries:  # the session, read before the view
        response = client.get("/test-broken/")
    assert "django_session" in queries.captured_queries[0]["sql"]
    assert response.status_code == 500
    assert heading(response) == (title, title)
    assert links(response) == ["/"]


@override_settings(ROOT_URLCONF="tests.error_urls")
def test_the_500_page_falls_back_to_bare_html_when_its_template_fails(db, monkeypatch):
    def broken_template(name):
        raise ValueError("Missing staticfiles manifest entry for 'site.css'")

    monkeypatch.setattr("config.views.get_template", broken_template)
    response = client_in("en").get("/test-broken/")
    assert response.status_code == 500
    assert heading(response) == ("Something went wrong on our side",
                                 "Something went wrong on our side")
    assert '<a href="/">Go to the home page</a>' in response.content.decode()


@override_settings(ROOT_URLCONF="tests.error_urls")
@pytest.mark.parametrize(("language", "title"), [(None, "Hệ thống tạm thời gián đoạn"),
                                                 ("en", "Service temporarily unavailable")])
def test_database_outage_gives_the_503_site_page(db, language, title, django_assert_num_queries):
    client = client_in(language)
    client.force_login(get_user_model().objects.create_user("reviewer"))
    with django_assert_num_queries(1) as queries:  # the session, read before the view
        response = client.get("/test-database-down/")
    assert "django_session" in queries.captured_queries[0]["sql"]
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert heading(response) == (title, title)
    assert links(response) == ["/"]


@pytest.mark.parametrize(("language", "title"), [(None, "Quá nhiều lần thử"),
                                                 ("en", "Too many attempts")])
def test_rate_limited_survey_gives_the_429_site_page(mini_questionnaire, settings, language,
                                                     title):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "survey": 1}
    client = client_in(language)
    assert client.get("/s/mini-citizens/74/").status_code == 200
    response = client.get("/s/mini-citizens/74/")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert heading(response) == (title, title)
    assert links(response) == ["/"]


def test_rate_limited_api_still_answers_json(db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 1}
    client = client_in(None)
    for _ in range(2):
        response = client.post("/api/v1/submissions", data="{}", content_type="application/json")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert json.loads(response.content) == {"errors": [{
        "field": "", "code": "rate_limited",
        "message": "too many requests; try again in a minute"}]}


@pytest.mark.parametrize(("language", "title"), [(None, "Trang đã hết hiệu lực"),
                                                 ("en", "This page has expired")])
def test_form_sent_without_a_valid_csrf_token_gives_the_expired_page(db, language, title):
    client = Client(enforce_csrf_checks=True)
    if language:
        client.cookies["django_language"] = language
    response = client.post("/accounts/login/", {"username": "reviewer", "password": "x"})
    assert response.status_code == 403
    assert heading(response) == (title, title)
    assert links(response) == ["/"]


def test_a_refused_page_logs_one_line_without_a_traceback(db, caplog):
    client = client_in(None)
    client.force_login(get_user_model().objects.create_user("visitor"))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/review/").status_code == 403
    logged = [(r.levelname, r.getMessage(), r.exc_info, r.exc_text)
              for r in caplog.records if r.name == "django.request"]
    assert logged == [("WARNING", "Forbidden (Permission denied): /review/", None, None)]
    assert "Traceback" not in caplog.text


@override_settings(ROOT_URLCONF="tests.error_urls")
def test_a_500_still_logs_its_traceback(db, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert client_in(None).get("/test-broken/").status_code == 500
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert (record.levelname, record.getMessage()) == (
        "ERROR", "Internal Server Error: /test-broken/")
    assert record.exc_info[0] is RuntimeError
    assert "RuntimeError: a bug in a view" in caplog.text
