"""URLs of the review side (staff only)."""

from django.urls import path

from scoring import views

app_name = "scoring"

urlpatterns = [
    path("", views.review_home, name="review"),
    path("audit/", views.audit_log, name="audit"),
    path("monitoring/<int:year>/", views.monitoring, name="monitoring"),
    path("submissions/<slug:questionnaire>.csv", views.download_submissions,
         name="download-submissions"),
    path("recompute/<int:pk>/", views.recompute_status, name="recompute-status"),
    path("<slug:index>/ranking/", views.ranking, name="ranking"),
    path("<slug:index>/publish/", views.publish, name="publish"),
    path("<slug:index>/recompute/", views.recompute, name="recompute"),
    path("<slug:index>/download/<slug:level>.<slug:fmt>", views.download, name="download"),
    path("<slug:index>/province/<str:province>/", views.province_profile, name="province"),
    path("<slug:index>/province/<str:province>/assessments/", views.assessments,
         name="assessments"),
]
