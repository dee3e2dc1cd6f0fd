"""Property tests (spec §7): arrival order and incremental vs full recompute never matter."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.models import Index
from scoring.selectors import export_rows
from scoring.services.assessments import save_assessments
from scoring.services.definitions import load_index
from scoring.services.results import recompute_index, refresh_pending, start_recompute
from scoring.services.tallies import fold_submissions
from surveys.models import Province
from surveys.services import NewSubmission, record_submissions
from tests.helpers import fixture_text

LEVELS = {"mini-par": ("total", "area", "criterion", "component"),
          "mini-sipas": ("total", "part", "element", "item")}
SAT5 = st.sampled_from([1, 2, 3, 4, 5, 9])


@st.composite
def respondent(draw):
    used = draw(st.sampled_from([1, 2]))
    answers = {"U01": used, "Q01": draw(SAT5)}
    if used == 1:
        answers["Q02"] = draw(SAT5)
    q03 = draw(st.one_of(st.none(), SAT5))
    if q03 is not None:
        answers["Q03"] = q03
    return draw(st.sampled_from(["74", "01", "31"])), answers


class Rollback(Exception):
    pass


def exports() -> dict:
    return {(code, level): export_rows(Index.objects.get(code=code), level)
            for code, levels in LEVELS.items() for level in levels}


def full_recompute() -> dict:
    for code in LEVELS:
        recompute_index(recompute=start_recompute(index=Index.objects.get(code=code)))
    return exports()


def record(questionnaire, provinces, items):
    subs = [NewSubmission(key=f"k{i}", province=provinces[p], submitted_at=None, answers=a)
            for i, (p, a) in items]
    return record_submissions(questionnaire=questionnaire, submissions=subs,
                              channel="import").created


def run(questionnaire, provinces, items, incremental: int) -> tuple[dict, dict]:
    """Record `items` in the given order, fold the first `incremental` one at a time, then
    recompute in full; returns the exports before and after that full recompute."""
    ids = []
    for item in items:
        ids += record(questionnaire, provinces, [item])
    for pk in ids[:incremental]:
        fold_submissions([pk])
        refresh_pending()
    before = exports()
    return before, full_recompute()


@pytest.fixture
def mini_indices(mini_questionnaire):
    load_index(text=fixture_text("mini-par.yaml"))
    load_index(text=fixture_text("mini-sipas.yaml"))
    index = Index.objects.get(code="mini-par")
    provinces = {p.code: p for p in Province.objects.filter(code__in=["74", "01", "31"])}
    save_assessments(index=index, province=provinces["74"], user=None, via="test", notes={},
                     scores={"1.1.1": {"self_score": 2, "appraised_score": 1.5}})
    save_assessments(index=index, province=provinces["01"], user=None, via="test", notes={},
                     scores={"1.2.1": {"self_score": 1.5}})
    full_recompute()  # every province has results before answers arrive, as in production
    return mini_questionnaire, provinces


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(respondent(), min_size=1, max_size=12), data=st.data())
def test_order_and_folding_never_change_exported_numbers(mini_indices, items, data):
    questionnaire, provinces = mini_indices
    numbered = list(enumerate(items))
    shuffled = data.draw(st.permutations(numbered))
    split = data.draw(st.integers(min_value=0, max_value=len(items)))
    results = []
    for order, incremental in ((numbered, len(items)), (shuffled, split)):
        try:
            with transaction.atomic():
                results.append(run(questionnaire, provinces, order, incremental))
                raise Rollback
        except Rollback:
            pass
    (incremental_a, full_a), (_, full_b) = results
    assert full_a == full_b
    assert incremental_a == full_a
