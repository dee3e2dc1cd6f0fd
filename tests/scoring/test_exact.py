"""The exact plan scores in integers what the engine scores in fractions: pure, no database."""

from decimal import Decimal
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.rules import engine, exact
from scoring.rules.engine import NodeDef, Scores, SourceDef

SAT5 = (1, 2, 3, 4, 5)
A_TO_D = (1, 2, 3, 4)
ZERO_TO_TEN = tuple(range(11))
SCALES = (SAT5, A_TO_D, ZERO_TO_TEN)
QUESTIONS = {1: SAT5, 2: SAT5, 3: A_TO_D, 4: ZERO_TO_TEN}


def ratio(value: F | None) -> exact.Ratio | None:
    return None if value is None else (value.numerator, value.denominator)


def assert_scores_as_the_engine(kind, tree, tallies, assessments=None):
    expected = engine.score_tree(kind, tree, tallies, assessments)
    plan = exact.compile_exact(kind, tree)
    values = exact.score_exact(plan, tallies, assessments)
    assert plan.codes == tuple(n.code for n in tree)
    for code, maximum, value in zip(plan.codes, plan.max_points, values, strict=True):
        want = expected[code]
        assert value == exact.NodeValue(ratio(want.points), ratio(want.percent),
                                        want.flag_text, want.valid_answers), code
        assert maximum == ratio(want.max_points), code


# --- random trees, tallies and assessments ---------------------------------------------------

points = st.integers(0, 40).map(lambda quarters: F(quarters, 4))  # multiples of 0.25
weights = st.sampled_from([F(1), F(2), F(3), F(1, 2), F(1, 4), F(3, 2), F(7, 10)])
scores = st.one_of(st.none(), st.integers(0, 1000).map(lambda hundredths: F(hundredths, 100)))


@st.composite
def survey_leaf(draw, code, parent, kind):
    rule = draw(st.sampled_from(list(engine.RULES)))  # a rule added to the table is drawn too
    questions = draw(st.lists(st.sampled_from(sorted(QUESTIONS)), min_size=0, max_size=3,
                              unique=True))
    scale = draw(st.sampled_from(SCALES))
    # option_fraction and top_box read every source on the node's one scale, as the
    # definitions check; scaled_mean reads each source on its own.
    sources = tuple(SourceDef(q, draw(weights), QUESTIONS[q] if rule == "scaled_mean" else scale)
                    for q in questions)
    return NodeDef(
        code, parent, 3, max_points=draw(points) if kind == "par" else None, method="survey",
        rule=rule, threshold=draw(st.sampled_from(scale[1:])) if rule == "top_box" else None,
        fractions={v: F(draw(st.integers(0, 20)), 20) for v in scale}
        if rule == "option_fraction" else {},
        sources=sources,
    )


@st.composite
def trees(draw, kind):
    nodes = [NodeDef("", None, 0, max_points=draw(points) if kind == "par" else None)]
    for a in range(draw(st.integers(1, 3))):
        area = f"{a + 1}"
        nodes.append(NodeDef(area, "", 1, max_points=draw(points) if kind == "par" else None))
        for c in range(draw(st.integers(0, 3))):  # an area may have no criterion
            criterion = f"{area}.{c + 1}"
            nodes.append(NodeDef(criterion, area, 2,
                                 max_points=draw(points) if kind == "par" else None))
            for k in range(draw(st.integers(0, 4))):
                code = f"{criterion}.{k + 1}"
                if kind == "par" and draw(st.booleans()):
                    nodes.append(NodeDef(code, criterion, 3, max_points=draw(points),
                                         method="appraisal"))
                else:
                    nodes.append(draw(survey_leaf(code, criterion, kind)))
    return nodes


counts = st.dictionaries(st.sampled_from([*ZERO_TO_TEN, 9, 99]), st.integers(0, 60), max_size=8)
tallies = st.dictionaries(st.sampled_from(sorted(QUESTIONS)), counts, max_size=4)


@st.composite
def assessed(draw, tree):
    leaves = [n.code for n in tree if n.method == "appraisal"]
    return {code: Scores(draw(scores), draw(scores))
            for code in draw(st.lists(st.sampled_from(leaves), unique=True))} if leaves else {}


@settings(max_examples=300, deadline=None)
@given(data=st.data(), kind=st.sampled_from(["par", "sipas"]))
def test_exact_plan_scores_as_the_engine(data, kind):
    tree = data.draw(trees(kind))
    assert_scores_as_the_engine(kind, tree, data.draw(tallies), data.draw(assessed(tree)))


@given(value=st.fractions(min_value=0, max_value=10**6))
def test_ratios_are_stored_as_the_engines_fractions(value):
    assert exact.ratio_text(ratio(value)) == engine.fraction_text(value)
    stored = exact.ratio_decimal(ratio(value))
    assert stored == engine.stored_decimal(value)
    assert stored.as_tuple() == engine.stored_decimal(value).as_tuple()
    assert Decimal(exact.stored_text(ratio(value))).as_tuple() == stored.as_tuple()


def test_ratios_are_stored_with_twelve_decimals_cut_not_rounded():
    assert exact.ratio_decimal((2, 3)) == Decimal("0.666666666666")
    assert exact.ratio_decimal((2, 3)).as_tuple().exponent == -12
    assert exact.ratio_decimal((865, 12)) == Decimal("72.083333333333")
    assert exact.ratio_decimal((0, 1)).as_tuple() == (0, (0,), -12)
    assert exact.ratio_decimal(None) is None
    assert (exact.ratio_text((173, 24)), exact.ratio_text((4, 1)), exact.ratio_text(None)) == (
        "173/24", "4", "")
    assert (exact.stored_text((865, 12)), exact.stored_text((0, 1)), exact.stored_text(None)) == (
        "72.083333333333", "0.000000000000", None)
    with pytest.raises(ValueError, match="^stored values are never negative$"):
        exact.ratio_decimal((-1, 3))
    with pytest.raises(ValueError, match="^stored values are never negative$"):
        exact.stored_text((-1, 3))


# --- worked by hand ----------------------------------------------------------------------------

PAR_TREE = [
    NodeDef("", None, 0, max_points=F(10)),
    NodeDef("1", "", 1, max_points=F(10)),
    NodeDef("1.1", "1", 2, max_points=F(5)),
    NodeDef("1.1.1", "1.1", 3, max_points=F(2), method="appraisal"),
    NodeDef("1.1.2", "1.1", 3, max_points=F(3), method="survey", rule="scaled_mean",
            sources=(SourceDef(1, F(1), SAT5), SourceDef(3, F(3), A_TO_D))),
    NodeDef("1.2", "1", 2, max_points=F(5)),
    NodeDef("1.2.1", "1.2", 3, max_points=F(5, 2), method="survey", rule="option_fraction",
            fractions={1: F(0), 2: F(1, 5), 3: F(3, 5), 4: F(1)},
            sources=(SourceDef(3, F(1), A_TO_D),)),
    NodeDef("1.2.2", "1.2", 3, max_points=F(5, 2), method="appraisal"),
]
# question 1: 5, 5, 1 and two "don't know"; question 3: 2, 4, 4, 4
PAR_TALLIES = {1: {5: 2, 1: 1, 9: 2}, 3: {2: 1, 4: 3}}


def test_a_par_tree_worked_by_hand():
    plan = exact.compile_exact("par", PAR_TREE)
    values = dict(zip(plan.codes, exact.score_exact(
        plan, PAR_TALLIES, {"1.1.1": Scores(F(3, 2), F(7, 4)), "1.2.2": Scores(F(2), None)}),
        strict=True))
    # 1.1.1 appraised 7/4 of 2 -> 175/2 %
    assert values["1.1.1"] == ((7, 4), (175, 2), "", 0)
    # 1.1.2: question 1 scaled (1 + 1 + 0) / 3 = 2/3, question 3 (1/3 + 1 + 1 + 1) / 4 = 5/6;
    # weighted (1 · 2/3 + 3 · 5/6) / 4 = 19/24 -> 3 · 19/24 = 19/8 points, 1900/24 = 475/6 %
    assert values["1.1.2"] == ((19, 8), (475, 6), "", 7)
    # 1.1 = 7/4 + 19/8 = 33/8 of 5 -> 165/2 %
    assert values["1.1"] == ((33, 8), (165, 2), "", 7)
    # 1.2.1: (1/5 + 1 + 1 + 1) / 4 = 4/5 -> 5/2 · 4/5 = 2 points, 80 %
    assert values["1.2.1"] == ((2, 1), (80, 1), "", 4)
    # 1.2.2 self-assessed 2, provisional
    assert values["1.2.2"] == ((2, 1), (80, 1), "provisional", 0)
    # 1 = 33/8 + 4 = 65/8 of 10 -> 325/4 %; the total likewise
    assert values["1"] == ((65, 8), (325, 4), "provisional", 11)
    assert values[""] == ((65, 8), (325, 4), "provisional", 11)
    assert_scores_as_the_engine("par", PAR_TREE, PAR_TALLIES,
                                {"1.1.1": Scores(F(3, 2), F(7, 4)), "1.2.2": Scores(F(2), None)})


def test_a_par_tree_without_answers_or_assessments_is_zero_and_missing():
    plan = exact.compile_exact("par", PAR_TREE)
    values = dict(zip(plan.codes, exact.score_exact(plan, {1: {9: 4}}), strict=True))
    assert values[""] == ((0, 1), (0, 1), "missing", 0)
    assert values["1.1.2"] == ((0, 1), (0, 1), "missing", 0)


SIPAS_TREE = [
    NodeDef("", None, 0),
    NodeDef("P1", "", 1),
    NodeDef("E1", "P1", 2),
    NodeDef("S1", "E1", 3, rule="top_box", threshold=4, sources=(SourceDef(1, F(1), SAT5),)),
    NodeDef("S2", "E1", 3, rule="top_box", threshold=4, sources=(SourceDef(2, F(1), SAT5),)),
    NodeDef("S3", "E1", 3, rule="top_box", threshold=4, sources=(SourceDef(4, F(1), SAT5),)),
    NodeDef("E2", "P1", 2),
    NodeDef("S4", "E2", 3, rule="top_box", threshold=3, sources=(SourceDef(3, F(1), A_TO_D),)),
    NodeDef("P2", "", 1),
    NodeDef("E3", "P2", 2),
    NodeDef("S5", "E3", 3, rule="top_box", threshold=4, sources=(SourceDef(4, F(1), SAT5),)),
]


def test_a_sipas_tree_worked_by_hand():
    tally = {1: {4: 1, 5: 1, 2: 1}, 2: {5: 3, 1: 1}, 3: {3: 1, 1: 6}}
    plan = exact.compile_exact("sipas", SIPAS_TREE)
    values = dict(zip(plan.codes, exact.score_exact(plan, tally), strict=True))
    assert values["S1"] == (None, (200, 3), "", 3)  # 2 of 3
    assert values["S2"] == (None, (75, 1), "", 4)  # 3 of 4
    assert values["S3"] == (None, None, "missing", 0)  # never answered
    assert values["E1"] == (None, (425, 6), "", 7)  # (200/3 + 75) / 2, S3 left out
    assert values["S4"] == (None, (100, 7), "", 7)  # 1 of 7
    # P1 = (425/6 + 100/7) / 2 = (2975 + 600) / 84 = 3575/84
    assert values["P1"] == (None, (3575, 84), "", 14)
    assert values["P2"] == (None, None, "missing", 0)
    assert values[""] == (None, (3575, 84), "", 14)  # P2 has no value: left out
    assert plan.max_points == (None,) * len(SIPAS_TREE)
    assert_scores_as_the_engine("sipas", SIPAS_TREE, tally)


def test_flag_text_is_the_engines_for_every_combination():
    assert exact.FLAG_TEXT == ("", "provisional", "missing", "provisional|missing")


def test_exact_plan_refuses_an_unknown_rule_as_the_engine_does():
    tree = [NodeDef("", None, 0), NodeDef("X", "", 1), NodeDef("X1", "X", 2),
            NodeDef("X11", "X1", 3, method="survey", rule="median",
                    sources=(SourceDef(1, F(1), SAT5),))]
    with pytest.raises(ValueError, match="^unknown rule 'median'$"):
        exact.compile_exact("sipas", tree)
    with pytest.raises(ValueError, match="^unknown rule 'median'$"):
        engine.score_tree("sipas", tree, {1: {3: 1}})
