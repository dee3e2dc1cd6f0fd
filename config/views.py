"""The site's own error pages (403, 404, 500, CSRF failure), in the visitor's language."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

FALLBACK_TITLES = {
    500: gettext_lazy("Something went wrong on our side"),
    503: gettext_lazy("Service temporarily unavailable"),
}


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the form's page expired, or cookies are blocked; Django logs why."""
    return render(request, "403_csrf.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render_without_database(request, "500.html", status=500)


def render_without_database(request: HttpRequest, template_name: str, *,
                            status: int) -> HttpResponse:
    """A page that needs neither the database nor the session: for 500 and 503.

    No context processor runs (the staff one reads the user, hence the session and
    the database); the page gets only the request and a CSRF token for the language
    switch. Should even that fail (a broken template, a missing static manifest),
    a bare page in the same language is returned rather than a second error.
    """
    try:
        html = get_template(template_name).render(
            {"request": request, "csrf_token": get_token(request)})
    except Exception:
        logger.exception("error page %s could not be rendered", template_name)
        title = escape(FALLBACK_TITLES.get(status, FALLBACK_TITLES[500]))
        html = (f"<!doctype html><html lang=\"{get_language()}\"><meta charset=\"utf-8\">"
                f"<title>{title}</title><h1>{title}</h1>"
                f"<p>{escape(_('Please try again in a few minutes.'))}</p>"
                f"<p><a href=\"/\">{escape(_('Go to the home page'))}</a></p>")
    return HttpResponse(html, status=status)
