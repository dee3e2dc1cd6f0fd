"""The production path of docs/deployment.md: `make deploy`; the site under gunicorn, DEBUG off."""

import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management.utils import get_random_secret_key

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front of gunicorn sends


def production_env(**extra: str) -> dict[str, str]:
    """The environment docs/deployment.md asks for, without the test run's broker and cache."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"CELERY_BROKER_URL", "CACHE_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    env.update(DJANGO_DEBUG="false", DJANGO_SECRET_KEY=get_random_secret_key(),
               DJANGO_ALLOWED_HOSTS="127.0.0.1", PUBLIC_BASE_URL="https://par.example.gov.vn",
               **extra)
    return env


def make_deploy(env: dict[str, str], *options: str) -> subprocess.CompletedProcess:
    # -o: use the venv running the tests as it is, installing nothing.
    return subprocess.run(
        ["make", "deploy", f"BIN={BIN}", "-o", f"{BIN}/.installed-production", *options],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_make_deploy_checks_then_migrates_collects_static_and_loads_definitions():
    done = make_deploy(production_env(), "--dry-run")

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{BIN}/python manage.py check --deploy --fail-level WARNING",
        f"{BIN}/python manage.py migrate --noinput",
        f"{BIN}/python manage.py collectstatic --noinput",
        f"{BIN}/python manage.py load_definitions",
    ]


def test_make_deploy_refuses_development_settings_before_touching_anything(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
                         STATIC_ROOT=str(tmp_path / "static"))
    env["DJANGO_DEBUG"] = "true"

    done = make_deploy(env)

    assert done.returncode != 0
    assert "(security.W018) You should not have DEBUG set to True in deployment." in done.stderr
    assert "migrate" not in done.stdout
    assert not (tmp_path / "db.sqlite3").exists()
    assert list((tmp_path / "static").iterdir()) == []


def test_the_deployment_check_refuses_a_cache_each_worker_keeps_to_itself(settings):
    from surveys.checks import shared_cache_check

    for backend in ("locmem.LocMemCache", "dummy.DummyCache"):
        settings.CACHES = {"default": {"BACKEND": f"django.core.cache.backends.{backend}"}}
        [warning] = shared_cache_check(None)
        assert warning.id == "surveys.W002"
        assert warning.msg.startswith(f"The cache is {backend.split('.')[1]}: each gunicorn worker")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/1"}}
    assert shared_cache_check(None) == []


def test_make_deploy_refuses_a_per_process_cache(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
                         STATIC_ROOT=str(tmp_path / "static"))

    done = make_deploy(env)

    assert done.returncode != 0
    assert "(surveys.W002) The cache is LocMemCache" in done.stderr
    assert "migrate" not in done.stdout and not (tmp_path / "db.sqlite3").exists()


def database_url(where: Path) -> str:
    """The tests' database for another process: on SQLite (in memory) a copy of it in a file."""
    from django.db import connection

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
        return (f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST']}:{db['PORT']}"
                f"/{db['NAME']}")
    connection.ensure_connection()
    with sqlite3.connect(where / "db.sqlite3") as copy:
        connection.connection.backup(copy)
    return f"sqlite:///{where / 'db.sqlite3'}"


@pytest.fixture
def production_site(transactional_db, tmp_path):
    """collectstatic into a temporary STATIC_ROOT, then gunicorn (gunicorn.conf.py, one worker)
    on a free port with DEBUG off; yields its base URL and the static files' manifest."""
    env = production_env(DATABASE_URL=database_url(tmp_path), STATIC_ROOT=str(tmp_path / "static"),
                         WEB_CONCURRENCY="1", GUNICORN_BIND="127.0.0.1:0")
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not (found := re.search(r"Listening at: (http://127\.0\.0\.1:\d+)",
                                      log_path.read_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + log_path.read_text())
            time.sleep(0.1)
        yield found[1], manifest
    finally:
        process.terminate()
        process.wait(timeout=20)


def fetch(url: str, **headers: str):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=20) as r:
        return r.status, r.headers, r.read()


# Transactional: no transaction of the test's own may hold the database another process reads.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_production_site_serves_a_page_with_its_hashed_compressed_css(production_site):
    base, manifest = production_site
    css = manifest["site.css"]
    assert re.fullmatch(r"site\.[0-9a-f]{12}\.css", css)

    status, headers, body = fetch(base + "/", **HTTPS)
    assert status == 200
    assert f'<link rel="stylesheet" href="/static/{css}">' in body.decode()
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"

    status, headers, body = fetch(f"{base}/static/{css}", **HTTPS, **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Type"] == 'text/css; charset="utf-8"'
    assert headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (ROOT / "static" / "site.css").read_bytes()


@pytest.mark.django_db
def test_clients_behind_the_proxy_are_rate_limited_apart(settings, client):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "survey": 2}

    def status(forwarded_for: str) -> int:
        return client.get("/s/sipas-2025/79/", REMOTE_ADDR="127.0.0.1",
                          HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    first = [status("203.0.113.9") for _ in range(3)]
    assert first == [404, 404, 429]
    assert status("198.51.100.7") == 404
    # Whatever a client writes to the left of the proxy's entry does not make it someone else.
    assert status("198.51.100.1, 203.0.113.9") == 429


def test_the_forwarded_address_is_taken_only_from_trusted_proxies(settings, rf):
    from config.proxy import ForwardedForMiddleware

    def seen(count: int, forwarded_for: str) -> str:
        settings.TRUSTED_PROXY_COUNT = count
        request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
        return ForwardedForMiddleware(lambda r: r.META["REMOTE_ADDR"])(request)

    assert seen(0, "203.0.113.9") == "10.0.0.2"
    assert seen(1, "203.0.113.9") == "203.0.113.9"
    assert seen(1, "192.0.2.1, 203.0.113.9") == "203.0.113.9"
    assert seen(2, "192.0.2.1, 203.0.113.9") == "192.0.2.1"
    assert seen(2, "203.0.113.9") == "10.0.0.2"
    assert seen(1, "2001:db8::1") == "2001:db8::1"
    assert seen(1, "not-an-address") == "10.0.0.2"
    assert seen(1, "") == "10.0.0.2"
