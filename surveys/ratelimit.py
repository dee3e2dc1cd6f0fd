"""Fixed-window rate limits per client, kept in the cache (never in the database).

The client is identified by a keyed hash of its address, so no address is stored.
"""

from __future__ import annotations

import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

WINDOW_SECONDS = 60


def client_id(request: HttpRequest) -> str:
    """A keyed hash of the client's address (behind a proxy, the one config.proxy found):
    counted in the cache, never stored."""
    address = request.META.get("REMOTE_ADDR", "")
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:24]


def allow(request: HttpRequest, scope: str) -> bool:
    """Count one hit of `scope` for this client; False once over the limit for the window."""
    limit = settings.RATE_LIMITS.get(scope)
    if not limit:
        return True
    window = int(time.time() // WINDOW_SECONDS)
    key = f"rl:{scope}:{client_id(request)}:{window}"
    if cache.add(key, 1, WINDOW_SECONDS + 5):
        return True
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW_SECONDS + 5)
        return True


def _failure_key(client: str, scope: str) -> str:
    return f"rl-fail:{scope}:{client}:{int(time.time() // WINDOW_SECONDS)}"


def failures_exhausted(client: str, scope: str) -> bool:
    """Has this client used up its failed checks of `scope` (codes, tokens) this minute?"""
    limit = settings.RATE_LIMITS.get(scope)
    return bool(limit) and (cache.get(_failure_key(client, scope)) or 0) >= limit


def note_failed_check(client: str, scope: str) -> None:
    """Count one wrong code or unknown token from this client, whatever the channel."""
    key = _failure_key(client, scope)
    if not cache.add(key, 1, WINDOW_SECONDS + 5):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, WINDOW_SECONDS + 5)


def too_many(request: HttpRequest, *, api: bool = False) -> HttpResponse:
    if api:
        response = JsonResponse({"errors": [{"field": "", "code": "rate_limited", "message":
                                             "too many requests; try again in a minute"}]},
                                status=429)
    else:
        response = render(request, "429.html", status=429)
    response["Retry-After"] = str(WINDOW_SECONDS)
    return response


def limited(scope: str, *, api: bool = False):
    """Decorate a view so that each client gets at most RATE_LIMITS[scope] hits a minute."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not allow(request, scope):
                return too_many(request, api=api)
            return view(request, *args, **kwargs)
        return wrapped
    return decorate
