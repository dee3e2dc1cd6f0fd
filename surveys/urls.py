"""URLs of the collection side: short public links, invitations, receipts, the intake API."""

from django.urls import path

from surveys import api, views

app_name = "surveys"

urlpatterns = [
    path("s/", views.survey_start, name="survey-start"),
    path("s/<slug:questionnaire>/<str:province>/", views.survey_public, name="survey"),
    path("i/<str:token>/", views.invitation_official, name="invitation"),
    path("r/", views.receipt_public, name="receipt"),
    path("api/v1/submissions", api.submissions, name="api-submissions"),
    path("api/v1/openapi.json", api.openapi, name="api-openapi"),
]
