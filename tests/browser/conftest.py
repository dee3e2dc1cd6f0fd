"""Browser fixtures: one headless Debian Chromium for these tests, fresh contexts per test."""

import io
import os

import pytest
from django.conf import settings
from django.core.management import call_command

from scoring.models import Index, Role
from tests.browser.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    INDEX,
    OFFICER_PROVINCE,
    PHONE,
    TIMEOUT_MS,
)
from tests.helpers import make_user

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="package")
def browser(django_db_setup):
    """Headless Chromium; missing is a failure on CI or with REQUIRE_SERVICES, else a skip."""
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM}: the browser tests need it"
        if os.environ.get("CI") or settings.REQUIRE_SERVICES:
            pytest.fail(f"{reason} (CI or REQUIRE_SERVICES is set, so this fails instead of "
                        "skipping)")
        pytest.skip(reason)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API marks its event loop as running in this thread until it stops.
    # Django then (1) refuses the plain synchronous ORM calls of the tests, fixtures and
    # flushes, hence DJANGO_ALLOW_ASYNC_UNSAFE; and (2) asgiref hands this thread fresh
    # database connections, which lack the test database's serialized contents that
    # serialized_rollback restores the provinces from; so the connections the test
    # database was set up on are put back.
    held = {alias: connections[alias] for alias in connections}
    allow = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            for alias, connection in held.items():
                connections[alias] = connection
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                  args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if allow is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = allow


@pytest.fixture
def new_context(browser):
    """Make a fresh browser context (no cookies, like another device); all closed after."""
    contexts = []

    def make(viewport=PHONE):
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in its own phone-sized (390x844) context."""
    return new_context(PHONE).new_page()


@pytest.fixture
def demo(live_server):
    """The bundled definitions, 1 % of the 2024 survey's size, every index computed; a reviewer
    and an officer of OFFICER_PROVINCE, who sign in with tests.helpers.PASSWORD."""
    call_command("seed_demo", "--scale", "0.01", stdout=io.StringIO())  # loads definitions too
    call_command("compute_scores", "--all", stdout=io.StringIO())
    index = Index.objects.get(code=INDEX)
    provinces = index.province_set.provinces
    return {
        "url": live_server.url,
        "index": index,
        "reviewer": make_user("reviewer", Role.REVIEWER),
        "officer": make_user("officer74", Role.PROVINCE_OFFICER,
                             provinces.get(code=OFFICER_PROVINCE)),
    }
