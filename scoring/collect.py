"""The offline collection app for enumerators: its page, service worker, manifest and API.

It lives on the scoring side because the enumerator role does (scoring.models.Role);
the answers go through the one intake path of the surveys app (surveys.intake), with
the channel `offline`. The page holds no one's data: what an enumerator may collect
comes from `assignments`, and stays on the device in IndexedDB, under their account.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from scoring.permissions import collection_province
from surveys import api
from surveys.ratelimit import limited
from surveys.selectors import assigned_questionnaires, questionnaire_document

SCOPE = "/collect/"
# The app's own files: a change to any of them is a new version of the app (new caches).
APP_FILES = ("collect/store.js", "collect/form.js", "collect/app.js", "collect/collect.css",
             "collect/icon.svg", "collect/icon-192.png", "collect/icon-512.png")
# Files every page uses, cached as base.html asks for them (the cache's name changes with
# the version, so a new version fetches them again).
SHARED_FILES = ("bootstrap/css/bootstrap.min.css", "site.css")


@cache
def _files_version() -> str:
    digest = hashlib.sha256()
    for name in (*APP_FILES, *SHARED_FILES, "collect/sw.js"):
        digest.update(name.encode())
        with open(finders.find(name), "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:12]


def app_version() -> str:
    """COLLECT_APP_VERSION when set (a deployment may name its releases), else a digest of
    the app's files, so that any change to them installs a new service worker."""
    return settings.COLLECT_APP_VERSION or _files_version()


def asset(name: str) -> str:
    """A static file's URL as the page asks for it and the service worker caches it."""
    return f"{static(name)}?v={app_version()}"


def _json_error(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse({"errors": [{"field": "", "code": code, "message": message}]},
                            status=status)
    add_never_cache_headers(response)
    return response


def _enumerator_province(request: HttpRequest):
    """(province, None) for a signed-in enumerator, else (None, the JSON refusal)."""
    if not request.user.is_authenticated:
        return None, _json_error(401, "not_signed_in", "sign in to collect")
    province = collection_province(request.user)
    if province is None:
        return None, _json_error(403, "not_an_enumerator", "only enumerators collect here")
    return province, None


def _texts() -> dict[str, str]:
    """The app's words, in the page's language (the script writes them; it holds none)."""
    return {
        "required_mark": _("(required)"),
        "problem_required": _("An answer is required."),
        "problem_option": _("Choose one of the options."),
        "problem_twice": _("An option is chosen twice."),
        "problem_number": _("Enter a number, such as 3 or 2.5."),
        "problem_min": _("The smallest allowed value is %(limit)s."),
        "problem_max": _("The largest allowed value is %(limit)s."),
        "problem_digits": _("This number has too many digits."),
        "problem_length": _("The answer is too long: at most %(limit)s characters."),
        "problem_invalid": _("This answer is not valid."),
        "new_survey": _("New survey"),
        "continue_survey": _("Continue"),
        "send_again": _("Send again"),
        "status_draft": _("In progress"),
        "status_waiting": _("Waiting to be sent"),
        "status_waiting_signin": _("Waiting: sign in again to send"),
        "status_refused": _("Refused by the server"),
        "status_sent": _("Sent, receipt %(receipt)s"),
        "saved": _("Saved on this device. It will be sent when there is a network."),
        "sent_now": _("%(count)s record(s) sent."),
        "signed_out": _("You are signed out. Records stay on this device under your account."),
        "confirm_sign_out": _("%(count)s record(s) of yours are not sent yet. They stay on "
                              "this device, and only you will see them when you sign in "
                              "again. Sign out anyway?"),
        "export_unsent": _("Export unsent records: %(title)s (%(count)s)"),
        "persisted_yes": _("yes"),
        "persisted_no": _("no (the browser may clear it when space runs low)"),
        "online": _("Online"),
        "offline": _("Offline"),
        "updated": _("The app was updated. Your records and surveys in progress are kept."),
        "no_worker": _("This browser cannot keep the app for offline use."),
    }


@require_GET
def app(request: HttpRequest) -> HttpResponse:
    """The app's page: the same for everyone (what to show comes from `assignments`)."""
    response = render(request, "scoring/collect_enumerator.html", {
        "version": app_version(),
        "scripts": [asset(name) for name in APP_FILES if name.endswith(".js")],
        "style": asset("collect/collect.css"),
        "icon": asset("collect/icon.svg"),
        "texts": _texts(),
        "worker": reverse("collect:service-worker"),
        "scope": SCOPE,
    })
    add_never_cache_headers(response)
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at the top of the app's URLs so that its scope covers them."""
    with open(finders.find("collect/sw.js"), encoding="utf-8") as handle:
        body = handle.read()
    precache = [SCOPE, f"{SCOPE}manifest.webmanifest",
                *(asset(name) for name in APP_FILES), *(static(name) for name in SHARED_FILES)]
    head = (f"// Offline collection app: the version, what it caches, its shared script.\n"
            f"var VERSION = {json.dumps(app_version())};\n"
            f"var PRECACHE = {json.dumps(precache)};\n"
            f"var STORE_URL = {json.dumps(asset('collect/store.js'))};\n")
    response = HttpResponse(head + body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = SCOPE
    add_never_cache_headers(response)
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: installable, opening on the app's page."""
    return JsonResponse({
        "name": _("Offline survey collection"),
        "short_name": _("Collection"),
        "lang": request.LANGUAGE_CODE,
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#8b1e1e",
        "icons": [{"src": asset("collect/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                  {"src": asset("collect/icon-512.png"), "sizes": "512x512", "type": "image/png"},
                  {"src": asset("collect/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@never_cache
@require_GET
def assignments(request: HttpRequest) -> JsonResponse:
    """Who is signed in, and the questionnaires they may collect, each whole (as JSON)."""
    province, refusal = _enumerator_province(request)
    if refusal is not None:
        return refusal
    questionnaires = assigned_questionnaires(province=province, now=timezone.now())
    return JsonResponse({
        "app_version": app_version(),
        "enumerator": {"id": request.user.pk, "username": request.user.get_username()},
        "province": {"code": province.code, "name": {"vi": province.name_vi,
                                                     "en": province.name_en}},
        "csrf_token": get_token(request),
        # names this sign-in (not the session's key): a sign-out made offline ends it only
        "session": hashlib.sha256((request.session.session_key or "").encode()).hexdigest()[:16],
        "questionnaires": [questionnaire_document(q) for q in questionnaires],
    }, json_dumps_params={"ensure_ascii": False})


@never_cache
@require_POST
@limited("api", api=True)
def submissions(request: HttpRequest) -> JsonResponse:
    """One completed survey from the app's outbox, through the intake API's rules."""
    province, refusal = _enumerator_province(request)
    if refusal is not None:
        return refusal
    return api.offline_submission(request, province=province, enumerator=request.user.pk)
