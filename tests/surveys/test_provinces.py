"""Province sets and crosswalks as data (spec §9): all or nothing, every problem by line."""

import pytest
from django.core.management import CommandError, call_command

from surveys.models import CrosswalkLink, Province, ProvinceSet
from tests.helpers import DATA, load_34_units

SET_HEADER = "set_code,first_year,code,name_vi,name_en,region_code,region_vi,region_en\n"
ROW = "vn-x,2030,{code},Tỉnh {code},Province {code},R1,Vùng 1,Region 1\n"
WALK_HEADER = "from_set,from_code,to_set,to_code,weight\n"


def load(command, tmp_path, text):
    path = tmp_path / "file.csv"
    path.write_text(text, encoding="utf-8")
    call_command(command, str(path))
    return path


def refused(command, tmp_path, text, capsys) -> list[str]:
    with pytest.raises(CommandError) as error:
        load(command, tmp_path, text)
    path = tmp_path / "file.csv"
    assert str(error.value).endswith("nothing was written")
    return [line.removeprefix(f"{path}: ") for line in capsys.readouterr().err.splitlines()]


def test_the_bundled_34_units_and_crosswalk_load_and_reload_as_a_no_op(db, capsys):
    call_command("load_province_set", str(DATA / "provinces" / "vn-34-2025.csv"))
    call_command("load_crosswalk", str(DATA / "provinces" / "crosswalk-vn-63-to-vn-34.csv"))
    units = ProvinceSet.objects.get(code="vn-34")
    assert (units.first_year, units.provinces.count()) == (2025, 34)
    assert CrosswalkLink.objects.count() == 63
    hcmc = Province.objects.get(province_set=units, code="79")
    assert sorted(hcmc.predecessor_links.values_list("source__code", flat=True)) == [
        "74", "77", "79"]
    before = (list(Province.objects.values_list("pk", "code", "name_vi")),
              list(CrosswalkLink.objects.values_list("pk", "source_id", "target_id", "weight")))
    call_command("load_province_set", str(DATA / "provinces" / "vn-34-2025.csv"))
    call_command("load_crosswalk", str(DATA / "provinces" / "crosswalk-vn-63-to-vn-34.csv"))
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "province set vn-34: unchanged", "crosswalk vn-63 → vn-34: unchanged"]
    assert (list(Province.objects.values_list("pk", "code", "name_vi")),
            list(CrosswalkLink.objects.values_list("pk", "source_id", "target_id", "weight"))
            ) == before


@pytest.mark.parametrize(("text", "problems"), [
    (SET_HEADER + ROW.format(code="01") + ROW.format(code="01"),
     ["line 3, column code: 01 is also on line 2"]),
    (SET_HEADER.replace(",region_en", "") + "vn-x,2030,01,A,B,R,V\n",
     ["line 1: the column region_en is missing"]),
    (SET_HEADER + ROW.format(code="01").replace("2030", "20x0"),
     ["line 2, column first_year: '20x0' is not a year"]),
    (SET_HEADER + ROW.format(code="01") + ROW.format(code="02").replace("vn-x", "vn-y"),
     ["line 3, column set_code: 'vn-y' differs from 'vn-x' on line 2 (one set per file)"]),
    (SET_HEADER + ROW.format(code="01").replace("Tỉnh 01", ""),
     ["line 2, column name_vi: is empty"]),
    (SET_HEADER + ROW.format(code="01").replace("2030", "2008"),
     ["line 2, column first_year: set vn-63 already starts in 2008; a year must name one set"]),
    (SET_HEADER, ["the file lists no province"]),
], ids=["duplicate code", "missing column", "non-numeric year", "two sets", "empty name",
        "year taken", "empty"])
def test_a_bad_province_set_file_is_refused_whole(db, tmp_path, capsys, text, problems):
    assert refused("load_province_set", tmp_path, text, capsys) == problems
    assert not ProvinceSet.objects.filter(code__in=["vn-x", "vn-y"]).exists()


def test_a_set_in_use_is_frozen(cycle_2025, tmp_path, capsys):
    text = (DATA / "provinces" / "vn-34-2025.csv").read_text(encoding="utf-8")
    changed = text.replace("Tỉnh Cao Bằng", "Tỉnh Cao Bằng mới")
    assert refused("load_province_set", tmp_path, changed, capsys) == [
        "set vn-34 is used by 1 questionnaire and 2 indices and is frozen; load the changed "
        "file under a new set code"]
    assert Province.objects.get(province_set__code="vn-34", code="04").name_vi == \
        "Tỉnh Cao Bằng"


def bundled_crosswalk() -> list[str]:
    text = (DATA / "provinces" / "crosswalk-vn-63-to-vn-34.csv").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def walk(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


@pytest.fixture
def sets(db):
    call_command("load_province_set", str(DATA / "provinces" / "vn-34-2025.csv"))


def test_a_crosswalk_leaving_a_province_unmapped_is_refused(sets, tmp_path, capsys):
    lines = [line for line in bundled_crosswalk() if not line.startswith("vn-63,02,")]
    assert refused("load_crosswalk", tmp_path, walk(lines), capsys) == [
        "vn-63 province 02 (Tỉnh Hà Giang) is not mapped"]
    assert not CrosswalkLink.objects.exists()


def test_a_crosswalk_mapping_a_province_twice_is_refused(sets, tmp_path, capsys):
    lines = bundled_crosswalk() + ["vn-63,74,vn-34,75,"]
    assert refused("load_crosswalk", tmp_path, walk(lines), capsys) == [
        "line 65, column from_code: 74 is also mapped on line 48"]


def test_a_crosswalk_naming_an_unknown_code_is_refused(sets, tmp_path, capsys):
    lines = [line.replace("vn-63,96,vn-34,96,", "vn-63,96,vn-34,97,")
             for line in bundled_crosswalk()]
    assert refused("load_crosswalk", tmp_path, walk(lines), capsys) == [
        "line 64, column to_code: '97' is not a unit of vn-34"]


@pytest.mark.parametrize(("weight", "problem"), [
    ("-1", "line 48, column weight: -1 is negative"),
    ("many", "line 48, column weight: 'many' is not a number"),
])
def test_a_crosswalk_with_a_bad_weight_is_refused(sets, tmp_path, capsys, weight, problem):
    lines = [line.replace("vn-63,74,vn-34,79,", f"vn-63,74,vn-34,79,{weight}")
             for line in bundled_crosswalk()]
    assert refused("load_crosswalk", tmp_path, walk(lines), capsys) == [problem]


def test_a_crosswalk_weighing_some_predecessors_of_a_unit_only_is_refused(sets, tmp_path,
                                                                          capsys):
    lines = [line.replace("vn-63,74,vn-34,79,", "vn-63,74,vn-34,79,2.5")
             for line in bundled_crosswalk()]
    assert refused("load_crosswalk", tmp_path, walk(lines), capsys) == [
        "line 50, column weight: unit 79 has weights on line 48 but none here; give every "
        "predecessor of a unit a weight, or none"]


def test_a_crosswalk_to_a_set_that_is_not_loaded_is_refused(db, tmp_path, capsys):
    assert refused("load_crosswalk", tmp_path, WALK_HEADER + "vn-63,01,vn-99,01,\n",
                   capsys) == ["line 2, column to_set: no province set 'vn-99' is loaded"]


def test_the_set_of_a_year_is_found_from_the_loaded_sets(db):
    from surveys.selectors import province_set_for_year

    load_34_units()
    assert [province_set_for_year(y).code for y in (2023, 2024, 2025, 2026)] == [
        "vn-63", "vn-63", "vn-34", "vn-34"]


def test_every_problem_of_a_crosswalk_is_listed_rows_first_then_units(sets, tmp_path, capsys):
    changed = {
        "vn-63,01,vn-34,01,": "vn-63,01,vn-34,04,",  # unit 01 left without a predecessor
        "vn-63,02,vn-34,08,": "vn-63,99,vn-34,08,",  # province 02 left unmapped
        "vn-63,12,vn-34,12,": "vn-63,12,vn-34,12,-1",
        "vn-63,44,vn-34,44,": "vn-63,44,vn-34,44,2",  # but none for 45, also into 44
        "vn-63,74,vn-34,79,": "vn-63,74,vn-34,79,0",
        "vn-63,77,vn-34,79,": "vn-63,77,vn-34,79,0",
        "vn-63,79,vn-34,79,": "vn-63,79,vn-34,79,0",
        "vn-63,96,vn-34,96,": "vn-63,96,vn-34,97,",
    }
    lines = [changed.get(line, line) for line in bundled_crosswalk()] + ["vn-63,74,vn-34,75,"]
    assert refused("load_crosswalk", tmp_path, walk(lines), capsys) == [
        "line 3, column from_code: '99' is not a province of vn-63",
        "line 9, column weight: -1 is negative",
        "line 64, column to_code: '97' is not a unit of vn-34",
        "line 65, column from_code: 74 is also mapped on line 48",
        "vn-63 province 02 (Tỉnh Hà Giang) is not mapped",
        "vn-34 unit 01 (Thành phố Hà Nội) has no predecessor",
        "line 31, column weight: unit 44 has weights on line 30 but none here; give every "
        "predecessor of a unit a weight, or none",
        "line 48, column weight: the weights of unit 79's predecessors add up to 0",
    ]
    assert not CrosswalkLink.objects.exists()
