"""Staff log-in, the same for every way in: lock-outs, audit, trusted devices, session limits.

Every log-in form (the site's, the admin's, any later one) checks a password
through `authenticate()`, so the checks live in the one authentication backend
Django is configured with (`ThrottledModelBackend`), and the audit of a
successful log-in hangs on `login()` itself (Django's `user_logged_in`
signal, the only hook every log-in path passes). A new log-in view cannot
forget either.

The policy (docs/security.md):

- Names are compared as Django authenticates them, NFKC-normalised, and also
  case-folded, so `ｒｅｖｉｅｗｅｒ` and `Reviewer` count against `reviewer`.
- After LOGIN_FAILURE_LIMIT failures of one account from one client, that
  client may not try that account for LOGIN_LOCKOUT_SECONDS. A stranger
  locks only themselves out.
- After LOGIN_CLIENT_FAILURE_LIMIT failures from one client over any accounts,
  that client may not try any account for the same time (password spraying).
- After LOGIN_ACCOUNT_CEILING failures of one account from all clients, the
  account is slowed, not locked: clients it was never signed in from may try it
  once per LOGIN_SLOW_SECONDS between them, while a browser that signed in to
  it before (a signed device cookie) is not slowed at all.
- A refused attempt while locked out is not a new audit row: each lock-out
  episode is one `login_locked` event whose count goes up.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import SESSION_KEY, get_user_model, logout
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.db.models import F
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.cache import add_never_cache_headers

from scoring.services.audit import request_address
from surveys.ratelimit import client_id

DEVICE_COOKIE = "par_device"
DEVICE_SALT = "scoring.auth.device"
DEVICE_MAX_AGE = 90 * 86400
DEVICE_ACCOUNTS = 8  # accounts remembered per browser
SEEN_KEY = "staff_seen"
SEEN_EVERY = 60  # seconds between writes of the last-activity time


def account_key(username: str) -> str:
    """The account a typed name means, for counting: NFKC-normalised, case-folded, hashed."""
    name = unicodedata.normalize("NFKC", username or "").casefold().strip()
    return hashlib.sha256(name.encode()).hexdigest()[:24]


class LoginRefused(PermissionDenied):
    """A password was not even checked; `wait` is how many seconds until it may be tried."""

    def __init__(self, reason: str, wait: int):
        self.reason, self.wait = reason, wait
        super().__init__(reason)


def _count(key: str, seconds: int) -> int:
    if cache.add(key, 1, seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, seconds)
        return 1


def _keys(request: HttpRequest, account: str) -> dict[str, str]:
    client = client_id(request)
    return {"pair": f"login:pair:{account}:{client}", "client": f"login:client:{client}",
            "account": f"login:account:{account}", "slow": f"login:slow:{account}",
            "episode": f"login:episode:{account}:{client}"}


def trusted_accounts(request: HttpRequest) -> list[str]:
    """Accounts this browser signed in to before (from its signed device cookie)."""
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        value = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return []
    return [a for a in value if isinstance(a, str)] if isinstance(value, list) else []


def check_allowed(request: HttpRequest, username: str) -> None:
    """Raise LoginRefused when this client may not try this account now."""
    account = account_key(username)
    keys = _keys(request, account)
    lockout = settings.LOGIN_LOCKOUT_SECONDS
    if (cache.get(keys["pair"]) or 0) >= settings.LOGIN_FAILURE_LIMIT:
        raise LoginRefused("locked", lockout)
    if (cache.get(keys["client"]) or 0) >= settings.LOGIN_CLIENT_FAILURE_LIMIT:
        raise LoginRefused("locked", lockout)
    if ((cache.get(keys["account"]) or 0) >= settings.LOGIN_ACCOUNT_CEILING
            and account not in trusted_accounts(request)
            and not cache.add(keys["slow"], 1, settings.LOGIN_SLOW_SECONDS)):
        raise LoginRefused("slowed", settings.LOGIN_SLOW_SECONDS)


def note_failure(request: HttpRequest, username: str) -> None:
    """Count a wrong password for this account and client."""
    account = account_key(username)
    keys = _keys(request, account)
    lockout = settings.LOGIN_LOCKOUT_SECONDS
    _count(keys["pair"], lockout)
    _count(keys["client"], lockout)
    _count(keys["account"], lockout)


def clear_failures(request: HttpRequest, username: str) -> None:
    """A successful log-in forgets this client's failures on this account."""
    keys = _keys(request, account_key(username))
    cache.delete_many([keys["pair"], keys["episode"]])


def _audit_failure(request: HttpRequest, username: str, refused: LoginRefused | None) -> None:
    from scoring.models import AuditEvent
    from scoring.services.audit import record_event

    name = (username or "")[:150]
    if refused is None:
        record_event(user=None, action=AuditEvent.Action.LOGIN_FAILED, username=name,
                     via=_way_in(request))
        return
    # One row per lock-out episode of this account and client, with a count.
    keys = _keys(request, account_key(username))
    event_id = cache.get(keys["episode"])
    if event_id is not None:
        updated = AuditEvent.objects.filter(pk=event_id).update(count=F("count") + 1)
        if updated:
            return
    event = record_event(user=None, action=AuditEvent.Action.LOGIN_LOCKED, username=name,
                         via=_way_in(request), reason=refused.reason)
    cache.set(keys["episode"], event.pk, settings.LOGIN_LOCKOUT_SECONDS)


def _way_in(request: HttpRequest | None) -> str:
    if request is None:
        return "other"
    return "admin" if request.path.startswith("/admin/") else "site"


class ThrottledModelBackend(ModelBackend):
    """Django's password check behind the lock-outs above; every failure is audited."""

    def get_user(self, user_id):
        """The signed-in user of a request, read with their staff role and its province."""
        try:
            user = get_user_model()._default_manager.select_related(
                "staff_role__province").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if request is None:  # not a log-in form (e.g. a shell): no client to count
            return super().authenticate(request, username, password, **kwargs)
        try:
            check_allowed(request, username or "")
        except LoginRefused as refused:
            request.login_refused = refused
            _audit_failure(request, username, refused)
            raise
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            note_failure(request, username or "")
            _audit_failure(request, username, None)
        return user


@receiver(user_logged_in, dispatch_uid="scoring.auth.logged_in")
def _logged_in(sender, request, user, **kwargs):
    """Audit the log-in, remember the device, and set how long the session may last."""
    from scoring.models import AuditEvent
    from scoring.services.audit import record_event

    if request is None:
        return
    username = user.get_username()
    clear_failures(request, username)
    record_event(user=user, action=AuditEvent.Action.LOGIN, via=_way_in(request))
    account = account_key(username)
    known = [account] + [a for a in trusted_accounts(request) if a != account]
    request.device_cookie = signing.dumps(known[:DEVICE_ACCOUNTS], salt=DEVICE_SALT)
    request.session[SEEN_KEY] = int(time.time())
    # Whoever can enter the admin keeps no session beyond the browser's.
    request.session.set_expiry(0 if user.is_staff or user.is_superuser
                               else settings.STAFF_SESSION_IDLE_SECONDS)


class StaffSessionMiddleware:
    """Signed-in sessions end after STAFF_SESSION_IDLE_SECONDS without a request; pages seen
    signed in (and every staff or admin page) are never kept by a browser or proxy; the
    device cookie is set after a log-in; the audit log learns the address of the request."""

    PRIVATE = ("/review/", "/admin/", "/accounts/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_address.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self._respond(request)
        finally:
            request_address.reset(token)

    def _respond(self, request):
        try:  # only the session is read here, not the user
            signed_in = SESSION_KEY in request.session
        except DatabaseError:  # the view will meet the outage and answer 503
            signed_in = False
        if signed_in:
            now = int(time.time())
            seen = request.session.get(SEEN_KEY)
            if not isinstance(seen, int) or now - seen > settings.STAFF_SESSION_IDLE_SECONDS:
                logout(request)
                signed_in = False
            elif now - seen >= SEEN_EVERY:
                request.session[SEEN_KEY] = now
                if not request.session.get_expire_at_browser_close():
                    request.session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
        response = self.get_response(request)
        if signed_in or request.path.startswith(self.PRIVATE):
            add_never_cache_headers(response)
        cookie = getattr(request, "device_cookie", None)
        if cookie:
            response.set_cookie(DEVICE_COOKIE, cookie, max_age=DEVICE_MAX_AGE, httponly=True,
                                secure=settings.SESSION_COOKIE_SECURE, samesite="Lax")
        return response


def refusal_message(request: HttpRequest) -> str | None:
    """What to tell the person when the backend refused to check their password."""
    from django.utils.translation import gettext as _

    refused = getattr(request, "login_refused", None)
    if refused is None:
        return None
    if refused.reason == "slowed":
        return _("Too many failed attempts on this account. Please wait %(seconds)s seconds "
                 "and try again.") % {"seconds": refused.wait}
    return _("Too many failed attempts. Please wait %(minutes)s minutes and try again.") % {
        "minutes": max(1, refused.wait // 60)}


class RefusalMessageMixin:
    """A log-in form that says "wait" when the backend refused to check the password."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            message = refusal_message(self.request)
            if message is None:
                raise
            raise ValidationError(message, code="locked") from None


class StaffAuthenticationForm(RefusalMessageMixin, AuthenticationForm):
    """The site's log-in form."""


class StaffAdminAuthenticationForm(RefusalMessageMixin, AdminAuthenticationForm):
    """The admin's log-in form."""
