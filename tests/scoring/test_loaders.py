"""The index loader: every rule of spec §1, a broken file each, nothing written."""

import copy

import pytest
from django.core.management import CommandError, call_command

from scoring.models import Index, Node, Source
from scoring.services.definitions import load_index
from surveys.definitions import DefinitionInvalid
from tests.helpers import dump, fixture_data, fixture_text


def broken(name, mutate) -> str:
    data = copy.deepcopy(fixture_data(name))
    mutate(data)
    return dump(data)


def comp(d, a, c, k):
    return d["areas"][a]["criteria"][c]["components"][k]


PAR_CASES = [
    ("areas sum to 99.5",
     lambda d: (d["areas"][1].update(max_points=4.5),
                d["areas"][1]["criteria"][0].update(max_points=4.5),
                comp(d, 1, 0, 0).update(max_points=2)),
     [("total_points", "is 10 but the areas add up to 9.5"),
      ("declared.survey_points", "declares 6 but the file has 5.5")]),
    ("criterion sum",
     lambda d: comp(d, 0, 0, 0).update(max_points=1.5),
     [("areas[0].criteria[0].max_points", "is 3 but its components add up to 2.5"),
      ("declared.appraisal_points", "declares 4 but the file has 3.5")]),
    ("area sum",
     lambda d: d["areas"][0].update(max_points=6),
     [("areas[0].max_points", "is 6 but its criteria add up to 5"),
      ("total_points", "is 10 but the areas add up to 11")]),
    ("duplicate code",
     lambda d: comp(d, 1, 0, 1).update(code="1.1.1"),
     [("areas[1].criteria[0].components[1].code",
       "duplicate code '1.1.1' (first at areas[0].criteria[0].components[0].code)")]),
    ("source names a missing question",
     lambda d: comp(d, 0, 0, 1)["sources"][1].update(question="Q99"),
     [("areas[0].criteria[0].components[1].sources[1].question",
       "mini-citizens has no question 'Q99'")]),
    ("source names a questionnaire not loaded",
     lambda d: comp(d, 0, 0, 1)["sources"][0].update(questionnaire="shs-2030"),
     [("areas[0].criteria[0].components[1].sources[0].questionnaire",
       "questionnaire 'shs-2030' is not loaded")]),
    ("source is a text question",
     lambda d: comp(d, 0, 0, 1)["sources"][0].update(question="T01"),
     [("areas[0].criteria[0].components[1].sources[0].question",
       "mini-citizens:T01 is a text question; a source needs an answer scale")]),
    ("top_box threshold outside the scale",
     lambda d: comp(d, 1, 0, 0).update(threshold=6),
     [("areas[1].criteria[0].components[0].threshold",
       "6 is outside mini-citizens:Q02's scale 1..5")]),
    ("top_box without threshold",
     lambda d: comp(d, 1, 0, 0).pop("threshold"),
     [("areas[1].criteria[0].components[0].threshold", "is required")]),
    ("threshold on a rule that takes none",
     lambda d: comp(d, 0, 0, 1).update(threshold=4),
     [("areas[0].criteria[0].components[1].threshold", "applies to top_box only")]),
    ("fractions on a rule that takes none",
     lambda d: comp(d, 1, 0, 0).update(fractions={1: 0}),
     [("areas[1].criteria[0].components[0].fractions", "applies to option_fraction only")]),
    ("option_fraction misses an option",
     lambda d: comp(d, 1, 0, 1)["fractions"].pop(3),
     [("areas[1].criteria[0].components[1].fractions",
       "no fraction for option 3 of mini-citizens:Q01")]),
    ("fraction above 1",
     lambda d: comp(d, 1, 0, 1)["fractions"].update({5: 1.2}),
     [("areas[1].criteria[0].components[1].fractions.5", "1.2 is outside [0, 1]"),
      ("areas[1].criteria[0].components[1].fractions",
       "no fraction for option 5 of mini-citizens:Q01")]),
    ("negative points",
     lambda d: comp(d, 0, 1, 0).update(max_points=-2),
     [("areas[0].criteria[1].components[0].max_points", "-2 is negative")]),
    ("three decimals",
     lambda d: comp(d, 0, 1, 0).update(max_points=2.001),
     [("areas[0].criteria[1].components[0].max_points", "2.001 has more than 2 decimals")]),
    ("declared count",
     lambda d: d["declared"].update(criteria=4),
     [("declared.criteria", "declares 4 but the file has 3")]),
    ("unknown rule",
     lambda d: comp(d, 0, 0, 1).update(rule="median"),
     [("areas[0].criteria[0].components[1].rule",
       "must be one of scaled_mean, top_box, option_fraction")]),
    ("appraisal with sources",
     lambda d: comp(d, 0, 1, 0).update(sources=[]),
     [("areas[0].criteria[1].components[0].sources",
       "does not apply to an appraisal component")]),
    ("zero weight",
     lambda d: comp(d, 0, 0, 1)["sources"][0].update(weight=0),
     [("areas[0].criteria[0].components[1].sources[0].weight", "0 must be positive")]),
    ("groups not highest first",
     lambda d: d["groups"].reverse(),
     [("groups[1].min_percent", "bands must be listed highest first"),
      ("groups[2].min_percent", "bands must be listed highest first")]),
    ("unknown kind", lambda d: d.update(kind="pci"), [("kind", "must be one of par, sipas")]),
]

SIPAS_CASES = [
    ("item names a missing question",
     lambda d: d["parts"][1]["elements"][0]["items"][0].update(question="S99"),
     [("parts[1].elements[0].items[0].question", "mini-citizens has no question 'S99'")]),
    ("threshold outside the scale",
     lambda d: d.update(threshold=0),
     [("threshold", "0 is outside mini-citizens:Q01's scale 1..5"),
      ("threshold", "0 is outside mini-citizens:Q02's scale 1..5"),
      ("threshold", "0 is outside mini-citizens:Q03's scale 1..5")]),
    ("questionnaire not loaded",
     lambda d: d.update(questionnaire="sipas-1999"),
     [("questionnaire", "questionnaire 'sipas-1999' is not loaded")]),
    ("duplicate element code",
     lambda d: d["parts"][1]["elements"][1].update(code="SRV1"),
     [("parts[1].elements[1].code",
       "duplicate code 'SRV1' (first at parts[1].elements[0].code)")]),
    ("declared items",
     lambda d: d["declared"].update(items=33),
     [("declared.items", "declares 33 but the file has 3")]),
]


@pytest.mark.parametrize(("mutate", "problems"), [c[1:] for c in PAR_CASES],
                         ids=[c[0] for c in PAR_CASES])
def test_broken_par_definition_reports_paths_and_writes_nothing(mini_questionnaire, mutate,
                                                                problems):
    with pytest.raises(DefinitionInvalid) as exc:
        load_index(text=broken("mini-par.yaml", mutate))
    assert [(p.path, p.message) for p in exc.value.problems] == problems
    assert (Index.objects.count(), Node.objects.count(), Source.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize(("mutate", "problems"), [c[1:] for c in SIPAS_CASES],
                         ids=[c[0] for c in SIPAS_CASES])
def test_broken_sipas_definition_reports_paths_and_writes_nothing(mini_questionnaire, mutate,
                                                                  problems):
    with pytest.raises(DefinitionInvalid) as exc:
        load_index(text=broken("mini-sipas.yaml", mutate))
    assert [(p.path, p.message) for p in exc.value.problems] == problems
    assert (Index.objects.count(), Node.objects.count()) == (0, 0)


def test_load_index_command_exits_non_zero_listing_problems(mini_questionnaire, tmp_path,
                                                            capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(broken("mini-par.yaml", lambda d: comp(d, 1, 0, 0).update(threshold=6)),
                    encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("load_index", str(path))
    assert str(exc.value) == f"{path} rejected: 1 problem; nothing was written"
    assert capsys.readouterr().err == (
        f"{path}: areas[1].criteria[0].components[0].threshold: "
        "6 is outside mini-citizens:Q02's scale 1..5\n")
    assert Index.objects.count() == 0


def test_valid_par_definition_is_stored_as_a_tree(mini_questionnaire):
    assert load_index(text=fixture_text("mini-par.yaml")).status == "created"
    index = Index.objects.get(code="mini-par")
    assert [(n.code, n.level, n.parent.code if n.parent else None, n.max_points)
            for n in index.nodes.order_by("position")] == [
        ("", 0, None, 10), ("1", 1, "", 5), ("1.1", 2, "1", 3), ("1.1.1", 3, "1.1", 2),
        ("1.1.2", 3, "1.1", 1), ("1.2", 2, "1", 2), ("1.2.1", 3, "1.2", 2), ("2", 1, "", 5),
        ("2.1", 2, "2", 5), ("2.1.1", 3, "2.1", 2.5), ("2.1.2", 3, "2.1", 2.5)]
    weights = list(Source.objects.filter(node__code="1.1.2").order_by("question__code")
                   .values_list("question__code", "weight"))
    assert weights == [("Q01", 1), ("Q03", 3)]
    assert index.nodes.get(code="2.1.2").fractions == {
        "1": "0", "2": "0", "3": "0.25", "4": "0.75", "5": "1"}


def test_valid_sipas_definition_makes_top_box_items(mini_questionnaire):
    load_index(text=fixture_text("mini-sipas.yaml"))
    item = Node.objects.get(index__code="mini-sipas", code="SS01")
    assert (item.level, item.parent.code, item.rule, item.threshold) == (3, "SRV1", "top_box", 4)
    assert item.sources.get().question.code == "Q02"


def test_load_definitions_reads_the_closing_dates_of_targets_csv(db, tmp_path):
    import io
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from surveys.models import Questionnaire

    for folder in ("provinces", "indices", "questionnaires"):
        (tmp_path / folder).mkdir()
    (tmp_path / "questionnaires" / "a.yaml").write_text(fixture_text("mini-citizens.yaml"),
                                                        encoding="utf-8")
    other = fixture_data("mini-citizens.yaml")
    other["code"] = "mini-open"
    (tmp_path / "questionnaires" / "b.yaml").write_text(dump(other), encoding="utf-8")
    targets = tmp_path / "targets.csv"
    targets.write_text("questionnaire,target_per_province,closes_at\n"
                       "mini-citizens,10,2025-01-31\nmini-open,5,\n", encoding="utf-8")
    call_command("load_definitions", "--data-dir", str(tmp_path), stdout=io.StringIO())
    # the closing date is the last day that takes answers, in Vietnam's time
    assert dict(Questionnaire.objects.values_list("code", "closes_at")) == {
        "mini-citizens": datetime(2025, 2, 1, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
        "mini-open": None}
    assert dict(Questionnaire.objects.values_list("code", "target_per_province")) == {
        "mini-citizens": 10, "mini-open": 5}

    targets.write_text("questionnaire,target_per_province,closes_at\n"
                       "mini-citizens,12,\nmini-open,5,31/01/2025\n", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("load_definitions", "--data-dir", str(tmp_path), stdout=io.StringIO())
    assert str(refused.value) == (f"{targets}, line 3, column closes_at: '31/01/2025' is not a "
                                  "date (YYYY-MM-DD)")
    assert Questionnaire.objects.get(code="mini-citizens").target_per_province == 10


def test_every_problem_of_a_survey_rule_and_its_sources_is_listed_in_order(mini_questionnaire):
    def mutate(d):
        comp(d, 0, 0, 1).update(rule="median", threshold=4, fractions={1: 0}, sources=[
            {"questionnaire": "mini-citizens", "question": "Q01", "weight": -1, "colour": "red"},
            {"questionnaire": "mini-citizens", "question": "Q01"},
            {"questionnaire": "mini-citizens", "question": "Q03", "weight": "x"},
            {"question": "Q03"},
        ])
        comp(d, 1, 0, 1).update(threshold=4, fractions={"x": 1, 1: 2, 2: "a", 3: 0.25, 4: 0.75,
                                                        5: 1})

    with pytest.raises(DefinitionInvalid) as exc:
        load_index(text=broken("mini-par.yaml", mutate))
    first, second = "areas[0].criteria[0].components[1]", "areas[1].criteria[0].components[1]"
    assert [(p.path, p.message) for p in exc.value.problems] == [
        (f"{first}.rule", "must be one of scaled_mean, top_box, option_fraction"),
        (f"{first}.threshold", "applies to top_box only"),
        (f"{first}.fractions", "applies to option_fraction only"),
        (f"{first}.sources[0].colour", "is not a known key"),
        (f"{first}.sources[0].weight", "-1 must be positive"),
        (f"{first}.sources[1]", "mini-citizens:Q01 is listed twice"),
        (f"{first}.sources[2].weight", "'x' is not a number"),
        (f"{first}.sources[3].questionnaire", "is required"),
        (f"{second}.threshold", "applies to top_box only"),
        (f"{second}.fractions.x", "'x' is not an option value"),
        (f"{second}.fractions.1", "2 is outside [0, 1]"),
        (f"{second}.fractions.2", "'a' is not a number"),
        (f"{second}.fractions", "no fraction for option 1 of mini-citizens:Q01"),
        (f"{second}.fractions", "no fraction for option 2 of mini-citizens:Q01"),
    ]
