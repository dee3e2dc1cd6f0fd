"""Fixtures shared by the scoring tests: the mini indices computed, with staff of every role."""

import io
from datetime import date

import pytest
from django.core.management import call_command

from scoring.models import Role
from scoring.services.definitions import load_index
from scoring.services.paper import register_batch
from surveys.models import Province, Questionnaire
from tests.helpers import ASSESSMENTS_2024, SUBMISSIONS, fixture_text, make_user
from tests.scoring.helpers import ASSESSMENTS_2025, SUBMISSIONS_2025


@pytest.fixture
def review(mini_questionnaire, tmp_path):
    """The mini indices of 2024 computed from the hand-worked data, a paper batch for 74, and a
    user of every role by the role's name ("anonymous" is None)."""
    load_index(text=fixture_text("mini-par.yaml"))
    load_index(text=fixture_text("mini-sipas.yaml"))
    (tmp_path / "subs.csv").write_text(SUBMISSIONS, encoding="utf-8")
    (tmp_path / "a.csv").write_text(ASSESSMENTS_2024, encoding="utf-8")
    call_command("import_submissions", str(tmp_path / "subs.csv"),
                 "--questionnaire", "mini-citizens", stdout=io.StringIO())
    call_command("import_assessments", str(tmp_path / "a.csv"), "--index", "mini-par",
                 stdout=io.StringIO())
    for code in ("mini-par", "mini-sipas"):
        call_command("compute_scores", "--index", code, stdout=io.StringIO())
    Questionnaire.objects.filter(code="mini-citizens").update(target_per_province=3)
    p74, p01 = Province.objects.get(code="74"), Province.objects.get(code="01")
    supervisor74 = make_user("supervisor74", Role.ENTRY_SUPERVISOR, p74)
    register_batch(questionnaire=Questionnaire.objects.get(code="mini-citizens"), province=p74,
                   serials="9001-9002", collected_by="Bưu điện", arrived_on=date(2024, 10, 1),
                   by=supervisor74)
    return {
        "anonymous": None,
        "officer74": make_user("officer74", Role.PROVINCE_OFFICER, p74),
        "officer01": make_user("officer01", Role.PROVINCE_OFFICER, p01),
        "supervisor74": supervisor74,
        "supervisor01": make_user("supervisor01", Role.ENTRY_SUPERVISOR, p01),
        "operator74": make_user("operator74", Role.ENTRY_OPERATOR, p74),
        "operator01": make_user("operator01", Role.ENTRY_OPERATOR, p01),
        "reviewer": make_user("reviewer", Role.REVIEWER),
        "administrator": make_user("administrator", Role.ADMINISTRATOR),
        "superuser": make_user("root", superuser=True),
        "no_role": make_user("plain"),
    }


@pytest.fixture
def review_2025(review, cycle_2025, tmp_path):
    """`review`, and the 34-unit indices of 2025 computed, with officers of two units."""
    (tmp_path / "s.csv").write_text(SUBMISSIONS_2025, encoding="utf-8")
    (tmp_path / "a.csv").write_text(ASSESSMENTS_2025, encoding="utf-8")
    call_command("import_submissions", str(tmp_path / "s.csv"), "--questionnaire",
                 "mini-citizens-2025", stdout=io.StringIO())
    call_command("import_assessments", str(tmp_path / "a.csv"), "--index", "mini-par-2025",
                 stdout=io.StringIO())
    for code in ("mini-par-2025", "mini-sipas-2025"):
        call_command("compute_scores", "--index", code, stdout=io.StringIO())
    units = {p.code: p for p in Province.objects.filter(province_set__code="vn-34")}
    return {**review,
            "officer79": make_user("officer79", Role.PROVINCE_OFFICER, units["79"]),
            "officer01b": make_user("officer01b", Role.PROVINCE_OFFICER, units["01"])}
