"""Change across the 2025 merger (spec §9), worked by hand."""

import io
from fractions import Fraction

import pytest
from django.core.management import call_command

from scoring.models import Index, NodeResult
from scoring.rules import engine
from scoring.selectors import export_rows
from scoring.services.definitions import load_index
from surveys.definitions import DefinitionInvalid
from surveys.models import Province
from tests.helpers import DATA, as_2025, fixture_text


def test_a_units_previous_value_is_the_weighted_mean_of_its_predecessors_with_a_value():
    values = {"A": Fraction("80.00"), "B": Fraction("90.01"), "C": Fraction("87.51"),
              "D": Fraction("87.40")}
    predecessors = {"u": [("A", Fraction(1)), ("B", Fraction(3))],
                    "v": [("C", Fraction(1)), ("E", Fraction(1))],  # E has no value
                    "w": [("D", Fraction(2))],
                    "x": [("F", Fraction(1))]}  # no predecessor with a value
    prev = engine.crosswalk_previous(values, predecessors)
    assert prev == {"u": Fraction("87.5075"), "v": Fraction("87.51"), "w": Fraction("87.40")}
    # ranks on the rounded values: 87.5075 rounds to 87.51 and ties with v
    assert engine.competition_ranks(prev) == {"u": 1, "v": 1, "w": 3}
    # Δ from the exact values, rounded once: 90.004 − 87.5075 = 2.4965 → 2.50
    # (rounding each first would give 90.00 − 87.51 = 2.49)
    assert engine.round2(Fraction("90.004") - prev["u"]) == engine.round2(Fraction("2.4965"))
    assert str(engine.round2(Fraction("90.004") - prev["u"])) == "2.50"


def test_valued_predecessors_that_weigh_nothing_give_no_previous_value():
    prev = engine.crosswalk_previous({"A": Fraction(80)},
                                     {"u": [("A", Fraction(0)), ("B", Fraction(5))]})
    assert prev == {}


@pytest.fixture
def weighted(cycle_2025, tmp_path):
    """Đồng Nai (75) from Bình Phước (70, weight 1) and Đồng Nai (75, weight 3)."""
    lines = (DATA / "provinces" / "crosswalk-vn-63-to-vn-34.csv").read_text(
        encoding="utf-8").splitlines()
    lines = [line.replace("vn-63,70,vn-34,75,", "vn-63,70,vn-34,75,1")
             .replace("vn-63,75,vn-34,75,", "vn-63,75,vn-34,75,3") for line in lines]
    path = tmp_path / "weighted.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("load_crosswalk", str(path), stdout=io.StringIO())


def store_total(index_code: str, set_code: str, province_code: str, exact: str) -> None:
    index = Index.objects.get(code=index_code)
    value = Fraction(exact)
    NodeResult.objects.create(
        index=index, province=Province.objects.get(province_set__code=set_code,
                                                   code=province_code),
        node=index.nodes.get(level=0), percent=engine.stored_decimal(value),
        percent_exact=engine.fraction_text(value), computed_at="2025-12-31T00:00:00Z")


def test_the_total_export_gives_the_change_across_the_merger(weighted):
    for code, exact in (("70", "80.00"), ("75", "90.01"),  # → 75: (80 + 3 × 90.01) / 4
                        ("72", "87.51"),  # → 80 with 80 (no value)
                        ("87", "87.40")):  # → 82 with 82 (no value)
        store_total("mini-sipas", "vn-63", code, exact)
    for code, exact in (("75", "90.004"), ("80", "85"), ("82", "88")):
        store_total("mini-sipas-2025", "vn-34", code, exact)
    header, rows = export_rows(Index.objects.get(code="mini-sipas-2025"), "total")
    assert header == ["province_code", "province_name", "percent", "rank", "delta_percent",
                      "delta_rank", "delta_basis"]
    # previous ranks on rounded prev values: 75 (87.51) and 80 (87.51) share 1; 82 is 3
    assert rows == [
        ["75", "Tỉnh Đồng Nai", "90.00", 1, "2.50", 0, "crosswalk"],
        ["82", "Tỉnh Đồng Tháp", "88.00", 2, "0.60", 1, "crosswalk"],
        ["80", "Tỉnh Tây Ninh", "85.00", 3, "-2.51", -2, "crosswalk"],
    ]


def test_a_unit_whose_predecessors_have_no_value_has_no_change(weighted):
    store_total("mini-sipas", "vn-63", "70", "80.00")
    store_total("mini-sipas-2025", "vn-34", "01", "85")
    _, rows = export_rows(Index.objects.get(code="mini-sipas-2025"), "total")
    assert rows == [["01", "Thành phố Hà Nội", "85.00", 1, "", "", ""]]


def test_indices_of_the_same_set_compare_by_code(review):
    _, rows = export_rows(Index.objects.get(code="mini-par"), "total")
    assert {r[-1] for r in rows} == {""}  # mini-par has no previous: no Δ, no basis
    load_index(text=fixture_text("mini-par.yaml").replace("code: mini-par",
                                                          "code: mini-par-b\nprevious: mini-par"))
    call_command("compute_scores", "--index", "mini-par-b", stdout=io.StringIO())
    _, rows = export_rows(Index.objects.get(code="mini-par-b"), "total")
    assert {r[-1] for r in rows} == {"same_set"}
    before = NodeResult.objects.get(index__code="mini-par", province__code="74",
                                    node__level=0).points_exact
    after = NodeResult.objects.get(index__code="mini-par-b", province__code="74",
                                   node__level=0).points_exact
    row = next(r for r in rows if r[0] == "74")
    assert row[7] == f"{engine.round2(Fraction(after) - Fraction(before)):.2f}"


def test_a_previous_index_of_another_set_needs_a_crosswalk(mini_questionnaire):
    from surveys.models import CrosswalkLink
    from surveys.provinces import load_province_set
    from surveys.services import load_questionnaire

    load_province_set(data=(DATA / "provinces" / "vn-34-2025.csv").read_bytes())
    assert not CrosswalkLink.objects.exists()
    load_questionnaire(text=as_2025("mini-citizens.yaml"))
    load_index(text=fixture_text("mini-sipas.yaml"))
    with pytest.raises(DefinitionInvalid) as error:
        load_index(text=as_2025("mini-sipas.yaml", previous="mini-sipas"))
    assert [str(p) for p in error.value.problems] == [
        "previous: mini-sipas ranks the provinces of vn-63 and mini-sipas-2025 the units of "
        "vn-34, and no crosswalk joins them; load one first (manage.py load_crosswalk)"]
    assert not Index.objects.filter(code="mini-sipas-2025").exists()
