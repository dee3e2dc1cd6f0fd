"""App configuration for the collection side."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from surveys import checks  # noqa: F401 - registers the deployment checks
