"""The demo's answer model: a lean per respondent, an effect per question (no database)."""

import math
import random

import numpy as np
import pytest

from surveys import demo


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


@pytest.mark.parametrize("p", [0.6, 0.8, 0.97])
def test_respondents_lean_around_the_province_quality_and_average_it(p):
    leans = demo.respondent_leans(p, 40_000, random.Random(7))
    spread = math.hypot(demo.LATENT_SPREAD, demo.ITEM_SPREAD)
    centre = demo.lean_centre(p, spread)
    assert np.std(leans) == pytest.approx(demo.LATENT_SPREAD, abs=0.01)
    assert np.mean(leans) == pytest.approx(centre, abs=0.01)
    # over respondents and questions (lean + effect, sd √(0.6² + 0.4²)) the chance averages p
    z = np.random.default_rng(7).normal(size=200_000)
    assert np.mean(1 / (1 + np.exp(-(centre + spread * z)))) == pytest.approx(p, abs=0.002)


def test_question_effects_are_fixed_per_questionnaire_and_centred():
    questions = [demo.DemoQuestion(pk=i, code=f"Q{i}", type="scale", required=True,
                                   substantive=(1, 2, 3, 4, 5), non_substantive=(9,), show_if="",
                                   show_values=frozenset(), lo=0, hi=0) for i in range(30)]
    effects = demo.item_effects("sipas-2024", questions)
    assert effects == demo.item_effects("sipas-2024", questions)  # the same every time
    assert effects != demo.item_effects("sipas-2025", questions)
    assert sum(effects.values()) == pytest.approx(0, abs=1e-12)
    assert np.std(list(effects.values())) == pytest.approx(demo.ITEM_SPREAD, abs=0.15)


def test_the_same_respondent_answers_alike_across_questions():
    rng = random.Random(3)
    leans = demo.respondent_leans(0.8, 5_000, rng)
    q = demo.DemoQuestion(pk=1, code="Q1", type="scale", required=True,
                          substantive=(1, 2, 3, 4, 5), non_substantive=(), show_if="",
                          show_values=frozenset(), lo=0, hi=0)
    first, second = (np.array(demo._draw(q, 5_000, leans, 0.0, [True] * 5_000, rng))
                     for _ in range(2))
    r = np.corrcoef(first, second)[0, 1]
    assert round(r, 3) == 0.190  # 0.6 sd of lean on the log-odds scale; independent draws: 0
    # each answer is a binomial draw over 4 steps with its respondent's chance
    expected = np.mean([sigmoid(x) for x in leans])
    assert np.mean((first - 1) / 4) == pytest.approx(expected, abs=0.01)
