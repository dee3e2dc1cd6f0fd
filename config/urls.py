"""Root URL configuration."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path

from config import views
from scoring.views import LoginView, home

handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error

urlpatterns = [
    path("", home, name="home"),
    path("", include("surveys.urls")),
    path("review/", include("scoring.urls")),
    path("results/", include("scoring.public_urls")),
    path("collect/", include("scoring.collect_urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
