"""Load the 63 provinces in force from 2008 to 2024 from data/provinces/vn-63-2024.csv."""

import csv
from pathlib import Path

from django.db import migrations

CSV_PATH = Path(__file__).resolve().parents[2] / "data" / "provinces" / "vn-63-2024.csv"


def load(apps, schema_editor):
    ProvinceSet = apps.get_model("surveys", "ProvinceSet")
    Province = apps.get_model("surveys", "Province")
    pset, _ = ProvinceSet.objects.get_or_create(
        code="vn-63",
        defaults={"name": "63 tỉnh, thành phố (2008–2024)", "first_year": 2008, "last_year": 2024},
    )
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            Province.objects.update_or_create(
                province_set=pset,
                code=row["code"],
                defaults={
                    "name_vi": row["name_vi"],
                    "name_en": row["name_en"],
                    "region_code": row["region_code"],
                    "region_vi": row["region_vi"],
                    "region_en": row["region_en"],
                    "successor": row["unit_from_2025_07"],
                },
            )


def unload(apps, schema_editor):
    ProvinceSet = apps.get_model("surveys", "ProvinceSet")
    Province = apps.get_model("surveys", "Province")
    Province.objects.filter(province_set__code="vn-63").delete()
    ProvinceSet.objects.filter(code="vn-63").delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
