"""Project middleware."""

import logging

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)


class VietnameseFirstLocaleMiddleware:
    """Vietnamese unless the person chose another language with the switch.

    The browser's Accept-Language is ignored on purpose: officials and citizens
    often use phones set to English, and the survey is Vietnamese first.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class SecurityHeadersMiddleware:
    """Content Security Policy and a few headers Django does not set by itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy",
                                    "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class DatabaseUnavailableMiddleware:
    """A clear 503 (page or JSON) when the database cannot be reached, instead of a 500.

    Writes are transactions, so nothing half-written is left behind; the person
    can simply try again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError
        from django.http import JsonResponse

        from config.views import render_without_database

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable: %s", exception)
        if request.path.startswith("/api/"):
            response = JsonResponse({"errors": [{
                "field": "", "code": "unavailable",
                "message": "the service is temporarily unavailable; nothing was stored, "
                           "please retry"}]}, status=503)
        else:
            response = render_without_database(request, "503.html", status=503)
        response["Retry-After"] = "30"
        return response
