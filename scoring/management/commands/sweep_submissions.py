"""manage.py sweep_submissions: count every submission that was not yet counted."""

from django.core.management.base import BaseCommand

from scoring.services.results import sweep


class Command(BaseCommand):
    help = "Fold every uncounted submission into the tallies and refresh the results it touches."

    def handle(self, *args, **options):
        folded = sweep()
        self.stdout.write(f"counted {folded.submissions:,} submissions")
