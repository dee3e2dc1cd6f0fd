"""App configuration for the scoring side."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self) -> None:
        # Register the tasks in every process (web too), so that other apps can enqueue them
        # by name; Celery's autodiscovery alone runs only when a worker starts. Every log-in
        # (site, admin, any other) is audited where Django logs a person in (scoring.auth).
        from scoring import auth, tasks  # noqa: F401
