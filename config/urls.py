"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from scoring.views import home

urlpatterns = [
    path("", home, name="home"),
    path("", include("surveys.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
