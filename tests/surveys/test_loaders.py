"""The questionnaire loader: every rule of spec §2, a broken file each, nothing written."""

import copy

import pytest
from django.core.management import CommandError, call_command

from surveys.definitions import DefinitionInvalid, parse_questionnaire
from surveys.models import Question, Questionnaire, Scale, Section
from tests.helpers import dump, fixture_data, fixture_text


def broken(mutate) -> str:
    data = copy.deepcopy(fixture_data("mini-citizens.yaml"))
    mutate(data)
    return dump(data)


def q(data, section, index):
    return data["sections"][section]["questions"][index]


CASES = [
    ("missing code", lambda d: d.pop("code"), "code", "is required"),
    ("bad audience", lambda d: d.update(audience="public"), "audience",
     "must be one of citizen, official"),
    ("year as text", lambda d: d.update(year="2024"), "year", "must be a whole number"),
    ("title without vi", lambda d: d.update(title={"en": "Survey"}), "title.vi", "is required"),
    ("duplicate question code", lambda d: q(d, 1, 0).update(code="Q01"),
     "sections[1].questions[0].code",
     "duplicate code 'Q01' (first at sections[0].questions[1].code)"),
    ("duplicate section code", lambda d: d["sections"][1].update(code="A"),
     "sections[1].code", "duplicate code 'A' (first at sections[0].code)"),
    ("unknown scale", lambda d: q(d, 0, 1).update(scale="sat7"),
     "sections[0].questions[1].scale", "unknown scale 'sat7'"),
    ("unknown type", lambda d: q(d, 0, 1).update(type="slider"),
     "sections[0].questions[1].type",
     "must be one of scale, single_choice, multi_choice, number, text"),
    ("duplicate option value", lambda d: d["scales"]["sat5"]["options"][1].update(value=1),
     "scales.sat5.options[1].value", "duplicate value 1 (first at scales.sat5.options[0])"),
    ("options out of order", lambda d: d["scales"]["sat5"]["options"].reverse(),
     "scales.sat5.options", "substantive options must be ordered low to high"),
    ("non-integer option value",
     lambda d: d["scales"]["sat5"]["non_substantive"][0].update(value="x"),
     "scales.sat5.non_substantive[0].value", "must be a whole number"),
    ("show_if on a later question", lambda d: q(d, 0, 2)["show_if"].update(question="Q03"),
     "sections[0].questions[2].show_if.question", "'Q03' is not a question asked earlier"),
    ("show_if value not an option", lambda d: q(d, 0, 2)["show_if"].update({"in": [7]}),
     "sections[0].questions[2].show_if.in[0]", "7 is not an option of U01"),
    ("number min above max", lambda d: q(d, 1, 2).update(min=30),
     "sections[1].questions[2].max", "20 is below min 30"),
    ("max_length on a scale", lambda d: q(d, 0, 1).update(max_length=10),
     "sections[0].questions[1].max_length", "applies to text questions only"),
    ("zero max_length", lambda d: q(d, 1, 3).update(max_length=0),
     "sections[1].questions[3].max_length", "must be at least 1"),
    ("choice without scale", lambda d: q(d, 0, 0).pop("scale"),
     "sections[0].questions[0].scale", "is required for a choice question"),
    ("unknown key", lambda d: q(d, 0, 1).update(colour="red"),
     "sections[0].questions[1].colour", "is not a known key"),
    ("no sections", lambda d: d.update(sections=[]), "sections", "must not be empty"),
]


@pytest.mark.parametrize(("mutate", "path", "message"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_questionnaire_reports_path_and_writes_nothing(mutate, path, message, db):
    from surveys.services import load_questionnaire

    with pytest.raises(DefinitionInvalid) as exc:
        load_questionnaire(text=broken(mutate))
    assert [(p.path, p.message) for p in exc.value.problems] == [(path, message)]
    assert Questionnaire.objects.count() == 0
    assert Question.objects.count() == 0


def test_every_problem_of_a_file_is_listed(tmp_path, db, capsys):
    def mutate(d):
        d.update(audience="public")
        q(d, 0, 1).update(scale="sat7")
        q(d, 1, 2).update(min=30)

    path = tmp_path / "bad.yaml"
    path.write_text(broken(mutate), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("load_questionnaire", str(path))
    assert str(exc.value) == f"{path} rejected: 3 problems; nothing was written"
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}: audience: must be one of citizen, official",
        f"{path}: sections[0].questions[1].scale: unknown scale 'sat7'",
        f"{path}: sections[1].questions[2].max: 20 is below min 30",
    ]
    assert Questionnaire.objects.count() == 0


def test_invalid_yaml_is_reported_with_its_line(db):
    with pytest.raises(DefinitionInvalid) as exc:
        parse_questionnaire("code: x\nsections: [\n")
    assert exc.value.problems[0].path == "line 3, column 1"


def test_valid_questionnaire_is_stored_with_inline_options_and_skip_logic(mini_questionnaire):
    assert mini_questionnaire.year == 2024
    assert mini_questionnaire.province_set.provinces.count() == 63
    assert list(Section.objects.filter(questionnaire=mini_questionnaire)
                .values_list("code", flat=True)) == ["A", "B"]
    assert list(mini_questionnaire.questions.values_list("code", flat=True)) == [
        "U01", "Q01", "Q02", "Q03", "Z01", "N01", "T01"]
    q02 = Question.objects.get(questionnaire=mini_questionnaire, code="Q02")
    assert (q02.show_if_question, q02.show_if_values) == ("U01", [1])
    z01 = Question.objects.get(questionnaire=mini_questionnaire, code="Z01")
    assert z01.scale.code == "_Z01"
    assert list(z01.scale.options.values_list("value", flat=True)) == [1, 2, 3]
    sat5 = Scale.objects.get(questionnaire=mini_questionnaire, code="sat5")
    assert list(sat5.options.values_list("value", "substantive")) == [
        (1, True), (2, True), (3, True), (4, True), (5, True), (9, False)]


def test_reloading_the_same_file_changes_nothing(mini_questionnaire, tmp_path, capsys):
    path = tmp_path / "same.yaml"
    path.write_text(fixture_text("mini-citizens.yaml"), encoding="utf-8")
    call_command("load_questionnaire", str(path))
    assert capsys.readouterr().out == "questionnaire mini-citizens: unchanged\n"


def test_questionnaire_with_submissions_is_frozen(mini_questionnaire):
    from surveys.models import Submission
    from surveys.services import load_questionnaire

    Submission.objects.create(
        key="k1", questionnaire=mini_questionnaire,
        province=mini_questionnaire.province_set.provinces.get(code="74"),
        channel="import", content_hash="x",
    )
    changed = broken(lambda d: q(d, 0, 1)["text"].update(vi="Câu hỏi đã sửa"))
    with pytest.raises(DefinitionInvalid) as exc:
        load_questionnaire(text=changed)
    assert [str(p) for p in exc.value.problems] == [
        "code: questionnaire mini-citizens has 1 submissions and is frozen; "
        "load the changed file under a new code"
    ]
    assert Question.objects.get(questionnaire=mini_questionnaire, code="Q01").text_vi == \
        "Hài lòng chung?"


def test_questionnaire_without_submissions_can_be_corrected(mini_questionnaire):
    from surveys.services import load_questionnaire

    outcome = load_questionnaire(text=broken(lambda d: d["sections"][1]["questions"].pop()))
    assert outcome.status == "updated"
    assert not Question.objects.filter(questionnaire=mini_questionnaire, code="T01").exists()


def test_every_problem_of_each_question_is_listed_in_the_order_of_its_keys():
    def mutate(data):
        data["scales"]["one"] = {"options": [{"value": 1, "label": "Một"}]}
        data["sections"][1]["questions"] += [
            {"code": "X1", "text": "x", "type": "number", "required": "yes", "scale": "sat5",
             "options": [], "min": 5, "max": 1, "max_length": 3},
            {"code": "X2", "text": "x", "type": "scale", "scale": "sat5", "options": []},
            {"code": "X3", "text": "x", "type": "single_choice", "scale": "sat5", "options": []},
            {"code": "X4", "text": "x", "type": "text", "min": 1, "max_length": 0},
            {"code": "X5", "text": "x", "type": "scale", "scale": "one"},
            {"code": "X6", "text": "x", "type": "slider", "scale": "sat5", "max_length": 4},
            {"code": "X7", "text": "x", "type": "single_choice",
             "options": [{"value": 1, "label": "a"}, {"value": 1, "label": "b"}]},
            {"code": "X8", "text": "x", "type": "multi_choice", "scale": "sat7"},
        ]

    with pytest.raises(DefinitionInvalid) as exc:
        parse_questionnaire(broken(mutate))
    at = "sections[1].questions"
    assert [(p.path, p.message) for p in exc.value.problems] == [
        (f"{at}[4].required", "must be true or false"),
        (f"{at}[4].scale", "does not apply to a number question"),
        (f"{at}[4].options", "does not apply to a number question"),
        (f"{at}[4].max", "1 is below min 5"),
        (f"{at}[4].max_length", "applies to text questions only"),
        (f"{at}[5].options", "a scale question takes a named scale, not options"),
        (f"{at}[6]", "give either scale or options, not both"),
        (f"{at}[7].min", "applies to number questions only"),
        (f"{at}[7].max_length", "must be at least 1"),
        (f"{at}[8].scale", "a scale needs at least two substantive options"),
        (f"{at}[9].type", "must be one of scale, single_choice, multi_choice, number, text"),
        (f"{at}[10].options[1].value", "duplicate value 1 (first at sections[1].questions[10]"
                                       ".options[0])"),
        (f"{at}[11].scale", "unknown scale 'sat7'"),
    ]
