"""App configuration for the scoring side."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self) -> None:
        # Register the tasks in every process (web too), so that other apps can enqueue them
        # by name; Celery's autodiscovery alone runs only when a worker starts.
        from scoring import tasks  # noqa: F401
