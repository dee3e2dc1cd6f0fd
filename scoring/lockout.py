"""Brute-force protection for staff log-in: failures counted per user name and per client."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

from surveys.ratelimit import client_id


def _keys(request, username: str) -> list[str]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:24]
    return [f"login-fail:user:{name}", f"login-fail:client:{client_id(request)}"]


def is_locked(request, username: str) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    return any((cache.get(key) or 0) >= limit for key in _keys(request, username))


def note_failure(request, username: str) -> None:
    for key in _keys(request, username):
        if not cache.add(key, 1, settings.LOGIN_LOCKOUT_SECONDS):
            try:
                cache.incr(key)
            except ValueError:
                cache.add(key, 1, settings.LOGIN_LOCKOUT_SECONDS)


def clear(request, username: str) -> None:
    cache.delete(_keys(request, username)[0])
