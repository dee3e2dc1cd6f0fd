"""Root URL configuration."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path

from scoring.views import LoginView, home

urlpatterns = [
    path("", home, name="home"),
    path("", include("surveys.urls")),
    path("review/", include("scoring.urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
