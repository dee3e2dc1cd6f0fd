"""URLs of the offline collection app, all under /collect/ (the service worker's scope)."""

from django.urls import path

from scoring import collect

app_name = "collect"

urlpatterns = [
    path("", collect.app, name="app"),
    path("sw.js", collect.service_worker, name="service-worker"),
    path("manifest.webmanifest", collect.manifest, name="manifest"),
    path("api/assignments", collect.assignments, name="assignments"),
    path("api/submissions", collect.submissions, name="submissions"),
]
