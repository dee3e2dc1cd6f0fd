"""The demo seeds both eras: 2023–2024 on the 63 provinces, 2025 on the 34 units."""

import io

import pytest
from django.core.management import call_command

from scoring.models import Index
from scoring.selectors import export_rows, results_checksum
from scoring.services.demo import seed_demo
from surveys.models import Questionnaire

ERA_63 = ("par-2023", "sipas-2023", "par-2024", "sipas-2024")


def compute(*codes):
    for code in codes:
        call_command("compute_scores", "--index", code, stdout=io.StringIO())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_2025_cycle_leaves_the_2024_results_as_they_were(settings):
    call_command("load_definitions", stdout=io.StringIO())
    # First without the 2025 cycle, as before it existed...
    Index.objects.filter(year=2025).delete()
    from surveys.models import Question

    Question.objects.filter(questionnaire__year=2025).delete()  # before their scales
    Questionnaire.objects.filter(year=2025).delete()
    seed_demo(scale=0.01, seed=2024, progress=lambda _: None)
    compute(*ERA_63)
    before = {code: results_checksum(Index.objects.get(code=code)) for code in ERA_63}
    # ...then with it: the same 2023–2024 numbers, and 34 ranked units for 2025.
    call_command("load_definitions", stdout=io.StringIO())
    counts = seed_demo(scale=0.01, seed=2024, progress=lambda _: None)
    assert counts["sipas-2025"] == counts["sipas-2024"] == 365
    compute(*ERA_63, "par-2025", "sipas-2025")
    after = {code: results_checksum(Index.objects.get(code=code)) for code in ERA_63}
    assert after == before
    for code in ("par-2025", "sipas-2025"):
        _, rows = export_rows(Index.objects.get(code=code), "total")
        assert len(rows) == 34 and all(r[3 if code.startswith("sipas") else 5] for r in rows)
        assert {r[-1] for r in rows} == {"crosswalk"}
