"""manage.py move_officers --to-set CODE: province officers follow their province into a new set."""

from django.core.management.base import BaseCommand, CommandError

from scoring.services.roles import move_officers_to_set
from surveys.models import ProvinceSet


class Command(BaseCommand):
    help = ("Give every province officer of an earlier set the role of the unit their province "
            "became (by the crosswalk into the given set); each change is audited. They keep "
            "seeing their earlier province's results, as the unit's history.")

    def add_arguments(self, parser):
        parser.add_argument("--to-set", required=True, help="e.g. vn-34")
        parser.add_argument("--dry-run", action="store_true", help="list the moves only")

    def handle(self, *args, **options):
        target = ProvinceSet.objects.filter(code=options["to_set"]).first()
        if target is None:
            known = ", ".join(ProvinceSet.objects.values_list("code", flat=True))
            raise CommandError(f"unknown province set {options['to_set']!r} (loaded: {known})")
        moves = move_officers_to_set(target_set=target, by=None, dry_run=options["dry_run"])
        for account, source, unit in moves:
            self.stdout.write(f"{account}: {source} → {unit}")
        verb = "would move" if options["dry_run"] else "moved"
        self.stdout.write(f"{verb} {len(moves)} province officer{'s' if len(moves) != 1 else ''}")
