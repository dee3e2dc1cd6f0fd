"""URLs of the review side (staff only)."""

from django.urls import path

from scoring import paper_views, views

app_name = "scoring"

urlpatterns = [
    path("", views.review_home, name="review"),
    path("audit/", views.audit_log, name="audit"),
    path("method/intervals/", views.uncertainty_method, name="uncertainty_method"),
    path("audit.csv", views.audit_download, name="audit-download"),
    path("monitoring/<int:year>/", views.monitoring, name="monitoring"),
    path("paper/", paper_views.paper_home, name="paper"),
    path("paper/new/", paper_views.paper_register, name="paper-register"),
    path("paper/<int:batch>/", paper_views.paper_batch, name="paper-batch"),
    path("paper/<int:batch>/key/", paper_views.paper_key, name="paper-key"),
    path("paper/<int:batch>/form/<int:serial>/", paper_views.paper_resolve,
         name="paper-resolve"),
    path("submissions/<slug:questionnaire>.csv", views.download_submissions,
         name="download-submissions"),
    path("recompute/<int:pk>/", views.recompute_status, name="recompute-status"),
    path("submission/<int:pk>/exclusion/", views.exclusion, name="exclusion"),
    path("<slug:index>/ranking/", views.ranking, name="ranking"),
    path("<slug:index>/publish/", views.publish, name="publish"),
    path("<slug:index>/publish/<int:version>/withdraw/", views.withdraw, name="withdraw"),
    path("<slug:index>/recompute/", views.recompute, name="recompute"),
    path("<slug:index>/download/<slug:level>.<slug:fmt>", views.download, name="download"),
    path("<slug:index>/quality/", views.quality, name="quality"),
    path("<slug:index>/quality/check/", views.quality_check, name="quality-check"),
    path("<slug:index>/quality/flags.csv", views.quality_download, name="quality-download"),
    path("<slug:index>/quality/<str:province>/", views.quality_province,
         name="quality-province"),
    path("<slug:index>/precision/", views.precision_page, name="precision"),
    path("<slug:index>/precision/intervals/", views.start_intervals, name="intervals"),
    path("<slug:index>/precision/weights/", views.start_weights, name="weights"),
    path("<slug:index>/sensitivity/", views.sensitivity_page, name="sensitivity"),
    path("<slug:index>/index-audit/", views.index_audit_page, name="index-audit"),
    path("<slug:index>/index-audit/scenarios/", views.index_audit_save,
         name="index-audit-save"),
    path("<slug:index>/index-audit/audit.<slug:fmt>", views.index_audit_download,
         name="index-audit-download"),
    path("<slug:index>/province/<str:province>/", views.province_profile, name="province"),
    path("<slug:index>/province/<str:province>/assessments/", views.assessments,
         name="assessments"),
]
