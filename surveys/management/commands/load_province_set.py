"""manage.py load_province_set FILE: the provinces in force from a year on (spec §9)."""

from surveys.management.commands._loading import FileCommand
from surveys.provinces import load_province_set


class Command(FileCommand):
    help = ("Load a province set (set_code,first_year,code,name_vi,name_en,region_code,"
            "region_vi,region_en); all or nothing; a set in use is frozen.")
    owner_option, loader, label = None, staticmethod(load_province_set), "province set"
