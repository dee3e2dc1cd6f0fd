"""The site's URLs plus a few that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.urls import path

from config.urls import handler403, handler404, handler500  # noqa: F401 (used by Django)
from config.urls import urlpatterns as site_urlpatterns


def broken(request):
    raise RuntimeError("a bug in a view")


def forbidden(request):
    raise PermissionDenied


def database_down(request):
    raise OperationalError("could not connect to server")


urlpatterns = [
    path("test-broken/", broken),
    path("test-forbidden/", forbidden),
    path("test-database-down/", database_down),
    *site_urlpatterns,
]
