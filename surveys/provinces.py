"""Province sets and the crosswalk between them, loaded from CSV files (spec §9).

Which provinces a year uses is data: a set file lists the units in force from a
year on (63 provinces to 2024, 34 units from July 2025), and a crosswalk file
says which unit of the later set each province of the earlier one became. Both
are checked whole before anything is written; every problem names its line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import ProtectedError

from surveys.imports import CsvRow, FileInvalid, read_csv
from surveys.models import CrosswalkLink, Province, ProvinceSet
from surveys.services import LoadOutcome

SET_COLUMNS = ("set_code", "first_year", "code", "name_vi", "name_en", "region_code",
               "region_vi", "region_en")
CROSSWALK_COLUMNS = ("from_set", "from_code", "to_set", "to_code", "weight")
SET_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}\Z")
PROVINCE_CODE = re.compile(r"[0-9A-Za-z]{1,8}\Z")
LIMITS = {"name_vi": 120, "name_en": 120, "region_code": 16, "region_vi": 120,
          "region_en": 120}


@dataclass(frozen=True)
class _Unit:
    code: str
    name_vi: str
    name_en: str
    region_code: str
    region_vi: str
    region_en: str


def _same_everywhere(rows: list[CsvRow], column: str, problems: list[str]) -> str:
    """The value of a column that must be the same on every row (reported where it is not)."""
    first = rows[0].cells[column].strip()
    for row in rows[1:]:
        value = row.cells[column].strip()
        if value != first:
            problems.append(f"line {row.line}, column {column}: {value!r} differs from "
                            f"{first!r} on line {rows[0].line} (one set per file)")
    return first


def _units(rows: list[CsvRow], problems: list[str]) -> dict[str, _Unit]:
    units: dict[str, _Unit] = {}
    lines: dict[str, int] = {}
    for row in rows:
        cells = {k: v.strip() for k, v in row.cells.items()}
        code = cells["code"]
        if not PROVINCE_CODE.match(code):
            problems.append(f"line {row.line}, column code: {code!r} is not a code of 1 to 8 "
                            "letters or digits")
            continue
        if code in lines:
            problems.append(f"line {row.line}, column code: {code} is also on line "
                            f"{lines[code]}")
            continue
        lines[code] = row.line
        bad = False
        for column, limit in LIMITS.items():
            if not cells[column]:
                problems.append(f"line {row.line}, column {column}: is empty")
                bad = True
            elif len(cells[column]) > limit:
                problems.append(f"line {row.line}, column {column}: is longer than {limit} "
                                "characters")
                bad = True
        if not bad:
            units[code] = _Unit(code, cells["name_vi"], cells["name_en"], cells["region_code"],
                                cells["region_vi"], cells["region_en"])
    return units


def _stored(province_set: ProvinceSet) -> dict[str, _Unit]:
    return {p.code: _Unit(p.code, p.name_vi, p.name_en, p.region_code, p.region_vi,
                          p.region_en) for p in province_set.provinces.all()}


def load_province_set(*, data: bytes) -> LoadOutcome:
    """Validate and store a province set file; a set in use is frozen.

    Raises FileInvalid listing every problem; nothing is written then. An identical
    reload is a no-op.
    """
    _, rows = read_csv(data, required=SET_COLUMNS, known=set(SET_COLUMNS), comments=True)
    if not rows:
        raise FileInvalid(["the file lists no province"])
    problems: list[str] = []
    code = _same_everywhere(rows, "set_code", problems)
    year_text = _same_everywhere(rows, "first_year", problems)
    if not SET_CODE.match(code):
        problems.append(f"line {rows[0].line}, column set_code: {code!r} is not a set code "
                        "(lower-case letters, digits and dashes, up to 32)")
    first_year = None
    if not year_text.isdigit() or not 1900 <= int(year_text) <= 2200:
        problems.append(f"line {rows[0].line}, column first_year: {year_text!r} is not a year")
    else:
        first_year = int(year_text)
        clash = ProvinceSet.objects.filter(first_year=first_year).exclude(code=code).first()
        if clash is not None:
            problems.append(f"line {rows[0].line}, column first_year: set {clash.code} already "
                            f"starts in {first_year}; a year must name one set")
    units = _units(rows, problems)
    if problems:
        raise FileInvalid(problems)
    existing = ProvinceSet.objects.filter(code=code).first()
    if existing is not None and existing.first_year == first_year and \
            _stored(existing) == units:
        return LoadOutcome(code, "unchanged")
    if existing is not None:
        users = _users(existing)
        if users:
            raise FileInvalid([f"set {code} is used by {users} and is frozen; load the "
                               "changed file under a new set code"])
    with transaction.atomic():
        pset, created = ProvinceSet.objects.update_or_create(
            code=code, defaults={"first_year": first_year,
                                 "name": f"{len(units)} tỉnh, thành phố (từ {first_year})"})
        for unit in units.values():
            Province.objects.update_or_create(
                province_set=pset, code=unit.code,
                defaults={"name_vi": unit.name_vi, "name_en": unit.name_en,
                          "region_code": unit.region_code, "region_vi": unit.region_vi,
                          "region_en": unit.region_en})
        try:
            pset.provinces.exclude(code__in=list(units)).delete()
        except ProtectedError as exc:
            held = sorted({str(o) for o in exc.protected_objects})[:5]
            raise FileInvalid([f"provinces left out of the file are still referred to "
                               f"({', '.join(held)}); keep them in the file"]) from exc
    return LoadOutcome(code, "created" if created else "updated")


def _users(province_set: ProvinceSet) -> str:
    """What uses a set ("2 questionnaires and 1 index"), or "" when nothing does."""
    parts = []
    questionnaires = province_set.questionnaires.count()
    indices = province_set.indices.count()
    if questionnaires:
        parts.append(f"{questionnaires} questionnaire{'s' if questionnaires != 1 else ''}")
    if indices:
        parts.append(f"{indices} ind{'ices' if indices != 1 else 'ex'}")
    return " and ".join(parts)


def load_crosswalk(*, data: bytes) -> LoadOutcome:
    """Validate and store which unit of a later set each province of an earlier one became.

    Raises FileInvalid listing every problem; nothing is written then. An identical
    reload is a no-op; another one replaces the crosswalk between the two sets.
    """
    _, rows = read_csv(data, required=CROSSWALK_COLUMNS, known=set(CROSSWALK_COLUMNS),
                       comments=True)
    if not rows:
        raise FileInvalid(["the file maps no province"])
    problems: list[str] = []
    from_code = _same_everywhere(rows, "from_set", problems)
    to_code = _same_everywhere(rows, "to_set", problems)
    sets = {s.code: s for s in ProvinceSet.objects.filter(code__in=[from_code, to_code])}
    for column, code in (("from_set", from_code), ("to_set", to_code)):
        if code not in sets:
            problems.append(f"line {rows[0].line}, column {column}: no province set {code!r} "
                            "is loaded")
    if from_code == to_code:
        problems.append(f"line {rows[0].line}, column to_set: a set cannot map to itself")
    if problems:
        raise FileInvalid(problems)
    source_set, target_set = sets[from_code], sets[to_code]
    sources = {p.code: p for p in source_set.provinces.all()}
    targets = {p.code: p for p in target_set.provinces.all()}
    links = _crosswalk_links(rows, sources, targets, from_code, to_code, problems)
    _unit_problems(rows, links, targets, to_code, problems)
    if problems:
        raise FileInvalid(problems)
    wanted = {(s.pk, t.pk, w) for s, t, w, _ in links}
    stored = {(link.source_id, link.target_id, link.weight) for link in
              CrosswalkLink.objects.filter(source__province_set=source_set,
                                           target_set=target_set)}
    name = f"{from_code} → {to_code}"
    if stored == wanted:
        return LoadOutcome(name, "unchanged")
    with transaction.atomic():
        CrosswalkLink.objects.filter(source__province_set=source_set,
                                     target_set=target_set).delete()
        CrosswalkLink.objects.bulk_create(
            CrosswalkLink(source=s, target=t, target_set=target_set, weight=w)
            for s, t, w, _ in links)
    return LoadOutcome(name, "updated" if stored else "created")


_Link = tuple[Province, Province, Decimal | None, int]  # source, target, weight, line


def _crosswalk_links(rows: list[CsvRow], sources: dict[str, Province],
                     targets: dict[str, Province], from_code: str, to_code: str,
                     problems: list[str]) -> list[_Link]:
    """The links the rows give; every province of the earlier set must be mapped once."""
    mapped: dict[str, int] = {}
    links: list[_Link] = []
    for row in rows:
        source, target = row.cells["from_code"].strip(), row.cells["to_code"].strip()
        weight, ok = _weight(row, problems)
        if source not in sources:
            problems.append(f"line {row.line}, column from_code: {source!r} is not a province "
                            f"of {from_code}")
            ok = False
        elif source in mapped:
            problems.append(f"line {row.line}, column from_code: {source} is also mapped on "
                            f"line {mapped[source]}")
            ok = False
        else:
            mapped[source] = row.line
        if target not in targets:
            problems.append(f"line {row.line}, column to_code: {target!r} is not a unit of "
                            f"{to_code}")
            ok = False
        if ok:
            links.append((sources[source], targets[target], weight, row.line))
    for code in sorted(set(sources) - set(mapped)):
        problems.append(f"{from_code} province {code} ({sources[code].name_vi}) is not mapped")
    return links


def _unit_problems(rows: list[CsvRow], links: list[_Link], targets: dict[str, Province],
                   to_code: str, problems: list[str]) -> None:
    """Every unit of the later set has a predecessor, and weights for all of them or none."""
    by_unit: dict[str, list[tuple[Decimal | None, int]]] = defaultdict(list)
    for _, target, weight, line in links:
        by_unit[target.code].append((weight, line))
    for code in sorted(set(targets) - set(by_unit)):
        if not any(row.cells["to_code"].strip() == code for row in rows):
            problems.append(f"{to_code} unit {code} ({targets[code].name_vi}) has no "
                            "predecessor")
    for code, weights in sorted(by_unit.items()):
        given = [line for weight, line in weights if weight is not None]
        if given and len(given) != len(weights):
            empty = [line for weight, line in weights if weight is None]
            problems.append(f"line {empty[0]}, column weight: unit {code} has weights on "
                            f"line{'s' if len(given) > 1 else ''} "
                            f"{', '.join(map(str, given))} but none here; give every "
                            "predecessor of a unit a weight, or none")
        elif given and sum(w for w, _ in weights) == 0:
            problems.append(f"line {weights[0][1]}, column weight: the weights of unit {code}'s "
                            "predecessors add up to 0")


def _weight(row: CsvRow, problems: list[str]) -> tuple[Decimal | None, bool]:
    text = row.cells["weight"].strip()
    if not text:
        return None, True
    try:
        weight = Decimal(text)
    except InvalidOperation:
        problems.append(f"line {row.line}, column weight: {text!r} is not a number")
        return None, False
    if not weight.is_finite():
        problems.append(f"line {row.line}, column weight: {text!r} is not a number")
        return None, False
    if weight < 0:
        problems.append(f"line {row.line}, column weight: {text} is negative")
        return None, False
    if weight != weight.quantize(Decimal("0.000001")) or weight >= Decimal("1e14"):
        problems.append(f"line {row.line}, column weight: {text} has more than 6 decimals or "
                        "14 digits")
        return None, False
    return weight.quantize(Decimal("0.000001")), True
