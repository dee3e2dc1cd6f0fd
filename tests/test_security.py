"""Hardening: headers, brute-force protection on staff log-in, production settings."""

import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from scoring.models import AuditEvent


def test_pages_carry_a_strict_content_security_policy(client, db):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy.split(
        "style-src")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_staff_login_locks_after_repeated_failures(client, db, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    get_user_model().objects.create_user("reviewer", password="the-right-password-2024")
    for _ in range(3):
        page = client.post("/accounts/login/", {"username": "reviewer", "password": "guess"})
        assert page.status_code == 200
    locked = client.post("/accounts/login/", {"username": "reviewer",
                                              "password": "the-right-password-2024"})
    assert locked.status_code == 200  # even the right password waits out the lock
    assert "15" in locked.content.decode() and "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login_failed").count() == 3
    assert AuditEvent.objects.get(action="login_locked").count == 1


def test_production_settings_refuse_the_development_secret_key():
    env = {"DJANGO_DEBUG": "false", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR,
                            env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "set DJANGO_SECRET_KEY when DJANGO_DEBUG is off" in result.stderr


@pytest.mark.parametrize("path", ["/", "/s/sipas-2025/79/", "/accounts/login/"])
def test_no_page_loads_anything_from_another_site(client, db, path):
    html = client.get(path).content.decode()
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_public_pages_and_code_checks_are_rate_limited(client, mini_questionnaire, settings,
                                                        monkeypatch):
    from surveys import ratelimit
    from surveys.intake import generate_codes
    from surveys.models import Province

    # Fixed windows: hold the clock inside one, or a slow run crossing a boundary starts over.
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "survey": 3, "code": 2}
    assert [client.get("/s/mini-citizens/74/").status_code for _ in range(4)] == [
        200, 200, 200, 429]
    generate_codes(questionnaire=mini_questionnaire, province=Province.objects.get(code="01"),
                   count=1)
    from django.core.cache import cache

    cache.clear()
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "survey": 100, "code": 2}
    other = type(client)()
    tries = [other.post("/s/mini-citizens/01/", {"code": f"AAAAA-AAAA{i}"}).status_code
             for i in range(3)]
    assert tries == [400, 400, 429]


def test_role_changes_in_the_admin_are_audited(admin_client, db):
    from django.contrib.auth import get_user_model

    from scoring.models import StaffRole

    official = get_user_model().objects.create_user("officer")
    response = admin_client.post("/admin/scoring/staffrole/add/", {
        "user": official.pk, "role": "reviewer", "province": ""})
    assert response.status_code == 302 and StaffRole.objects.get().role == "reviewer"
    event = AuditEvent.objects.get(action="role_changed")
    assert event.detail == {"staff": "officer", "role": "reviewer", "province": None,
                            "previous_role": None, "previous_province": None}
    assert admin_client.get("/review/audit/").status_code == 200
