"""manage.py import_submissions FILE --questionnaire CODE (spec §8): all or nothing."""

from django.core.management.base import CommandError

from surveys.imports import import_submissions
from surveys.management.commands._loading import FileCommand
from surveys.services import SubmissionConflict


class Command(FileCommand):
    help = "Import submissions from a CSV file; any bad cell rejects the whole file."

    def load(self, owner, data, **options):
        try:
            outcome = import_submissions(questionnaire=owner, data=data)
        except SubmissionConflict as exc:
            raise CommandError(f"{options['file']} rejected: {exc}; nothing was written") from exc
        return (f"{outcome.rows:,} rows, {outcome.created:,} new submissions, "
                f"{outcome.already_present:,} already present")
