"""manage.py load_crosswalk FILE: which unit of a later set each province became (spec §9)."""

from surveys.management.commands._loading import FileCommand
from surveys.provinces import load_crosswalk


class Command(FileCommand):
    help = ("Load a crosswalk between two province sets (from_set,from_code,to_set,to_code,"
            "weight); every province mapped once, every unit reached; all or nothing.")
    owner_option, loader, label = None, staticmethod(load_crosswalk), "crosswalk"
