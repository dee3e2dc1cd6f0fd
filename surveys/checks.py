"""System checks of the collection side's settings (run by `manage.py check --deploy`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "testserver"}  # noqa: S104 - hosts refused, not bound


@register(Tags.security, deploy=True)
def public_base_url_check(app_configs, **kwargs) -> list[Warning]:
    """Distributed links and codes files carry PUBLIC_BASE_URL: it must be the public site."""
    url = urlsplit(settings.PUBLIC_BASE_URL)
    if url.scheme == "https" and url.hostname and url.hostname not in LOOPBACK and (
            url.port in (None, 443)):
        return []
    return [Warning(
        f"PUBLIC_BASE_URL is {settings.PUBLIC_BASE_URL!r}: invitation links and codes files "
        "would send people there.",
        hint="Set PUBLIC_BASE_URL to the site's public https address, e.g. "
             "https://par.example.gov.vn (docs/deployment.md).",
        id="surveys.W001")]


PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache",
                      "django.core.cache.backends.dummy.DummyCache")


@register(Tags.security, deploy=True)
def shared_cache_check(app_configs, **kwargs) -> list[Warning]:
    """Rate limits and log-in lock-outs are counted in the cache: every process must share it."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in PER_PROCESS_CACHES:
        return []
    return [Warning(
        f"The cache is {backend.rsplit('.', 1)[-1]}: each gunicorn worker would count rate "
        "limits and log-in lock-outs on its own, multiplying the tries allowed.",
        hint="Set CACHE_URL to a cache every process shares, e.g. redis://127.0.0.1:6379/1 "
             "(docs/deployment.md).",
        id="surveys.W002")]
