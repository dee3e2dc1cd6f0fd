"""URLs of the public results (spec §10): no log-in."""

from django.urls import path

from scoring import public

app_name = "results"

urlpatterns = [
    path("", public.results_list, name="list"),
    path("<slug:index>/", public.results_ranking, name="ranking"),
    path("<slug:index>/<slug:level>.csv", public.results_download, name="download"),
    path("<slug:index>/<str:province>/", public.results_province, name="province"),
]
