"""Data shared by the scoring tests: the mini indices computed with staff of every role (the
`review` fixtures), the permission matrix of every staff URL, and both again for the 34-unit
cycle of 2025."""

import io
from datetime import date
from pathlib import Path

from django.core.management import call_command

from scoring.models import Role
from scoring.services.definitions import load_index
from scoring.services.paper import register_batch
from surveys.models import Province, Questionnaire
from tests.helpers import ASSESSMENTS_2024, SUBMISSIONS, fixture_text, make_user


def computed_review(tmp_path: Path) -> dict:
    """The mini indices of 2024 computed from the hand-worked data, a paper batch for 74, and a
    user of every role by the role's name ("anonymous" is None); mini-citizens loaded first."""
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


def computed_review_2025(review: dict, tmp_path: Path) -> dict:
    """`review` (computed_review), and the 34-unit indices of 2025 computed, with officers of
    two units; the 2025 cycle (tests.helpers.load_cycle_2025) loaded first."""
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


# url name -> (args, method, expected status by role; 302 = sent to log in or redirected)
OWN, OTHER = ("mini-par", "74"), ("mini-par", "01")
ENTRY_NONE = {"anonymous": 302, "no_role": 403, "reviewer": 403, "administrator": 403,
              "superuser": 403}
MATRIX = {
    "review": [((), "get", {"anonymous": 302, "no_role": 403, "officer74": 200,
                            "reviewer": 200, "administrator": 200, "superuser": 200,
                            "supervisor74": 302, "operator74": 302})],
    # paper forms: the province's office only; operators key, supervisors register and resolve
    "paper": [((), "get", {**ENTRY_NONE, "officer74": 200, "supervisor74": 200,
                           "operator74": 200, "operator01": 200})],
    "paper-register": [((), "get", {**ENTRY_NONE, "officer74": 200, "supervisor74": 200,
                                    "operator74": 403}),
                       # an empty form is refused as bad, after the role check
                       ((), "post", {"supervisor74": 400, "operator74": 403})],
    "paper-batch": [(("BATCH",), "get", {**ENTRY_NONE, "officer74": 200, "officer01": 403,
                                         "supervisor74": 200, "supervisor01": 403,
                                         "operator74": 200, "operator01": 403})],
    "paper-key": [(("BATCH",), "get", {**ENTRY_NONE, "officer74": 403, "supervisor74": 403,
                                       "operator74": 200, "operator01": 403}),
                  # nothing typed: refused as bad, after the role and province checks
                  (("BATCH",), "post", {"operator74": 400, "operator01": 403,
                                        "supervisor74": 403})],
    "paper-resolve": [(("BATCH", 9001), "get", {**ENTRY_NONE, "officer74": 200,
                                                "officer01": 403, "supervisor74": 200,
                                                "supervisor01": 403, "operator74": 403}),
                      # not in disagreement: nothing to resolve, refused as bad
                      (("BATCH", 9001), "post", {"supervisor74": 400, "supervisor01": 403,
                                                 "operator74": 403})],
    "audit": [((), "get", {"anonymous": 302, "no_role": 403, "officer74": 403,
                           "reviewer": 403, "administrator": 200, "superuser": 200})],
    "audit-download": [((), "get", {"anonymous": 302, "no_role": 403, "officer74": 403,
                                    "reviewer": 403, "administrator": 200, "superuser": 200})],
    "monitoring": [((2024,), "get", {"anonymous": 302, "no_role": 403, "officer74": 403,
                                     "reviewer": 200, "administrator": 200})],
    "download-submissions": [(("mini-citizens",), "get",
                              {"anonymous": 302, "no_role": 403, "officer74": 403,
                               "reviewer": 200, "administrator": 200})],
    "recompute-status": [(("RECOMPUTE",), "get", {"anonymous": 302, "officer74": 403,
                                                 "reviewer": 200, "administrator": 200})],
    "ranking": [(("mini-par",), "get", {"anonymous": 302, "no_role": 403, "officer74": 403,
                                       "reviewer": 200, "administrator": 200}),
                (("mini-sipas",), "get", {"officer74": 403, "reviewer": 200})],
    "publish": [(("mini-par",), "get", {"anonymous": 302, "no_role": 403, "officer74": 403,
                                       "reviewer": 200, "administrator": 200}),
                # without a note nothing is published: refused as bad, after the role check
                (("mini-par",), "post", {"anonymous": 302, "no_role": 403, "officer74": 403,
                                        "reviewer": 400, "administrator": 400})],
    "withdraw": [(("mini-par", 1), "post", {"anonymous": 302, "no_role": 403,
                                           "officer74": 403, "reviewer": 404})],
    "recompute": [(("mini-sipas",), "post", {"anonymous": 302, "no_role": 403,
                                            "officer74": 403, "reviewer": 302,
                                            "administrator": 302})],
    "download": [(("mini-par", "component", "csv"), "get",
                  {"anonymous": 302, "no_role": 403, "officer74": 200, "reviewer": 200}),
                 (("mini-sipas", "total", "xlsx"), "get", {"officer01": 200, "reviewer": 200})],
    "province": [(OWN, "get", {"anonymous": 302, "no_role": 403, "officer74": 200,
                               "officer01": 403, "reviewer": 200, "administrator": 200}),
                 (OTHER, "get", {"officer74": 403, "officer01": 200}),
                 (("mini-sipas", "74"), "get", {"officer74": 200, "officer01": 403})],
    "assessments": [(OWN, "get", {"anonymous": 302, "no_role": 403, "officer74": 200,
                                  "officer01": 403, "reviewer": 200, "administrator": 200}),
                    (OTHER, "post", {"officer74": 403, "officer01": 302, "reviewer": 302})],
    "quality": [(("mini-par",), "get", {"anonymous": 302, "no_role": 403, "officer74": 403,
                                       "reviewer": 200, "administrator": 200})],
    "quality-check": [(("mini-par",), "post", {"anonymous": 302, "no_role": 403,
                                              "officer74": 403, "reviewer": 302})],
    "quality-download": [(("mini-sipas",), "get", {"anonymous": 302, "no_role": 403,
                                                  "officer74": 403, "reviewer": 200})],
    "quality-province": [(OWN, "get", {"anonymous": 302, "no_role": 403, "officer74": 403,
                                       "reviewer": 200, "administrator": 200})],
    # without an action the request is refused as bad, after the role check
    "exclusion": [(("SUBMISSION",), "post", {"anonymous": 302, "no_role": 403,
                                            "officer74": 403, "reviewer": 400,
                                            "administrator": 400})],
    "precision": [(("mini-sipas",), "get", {"anonymous": 302, "no_role": 403, "officer74": 403,
                                           "reviewer": 200, "administrator": 200}),
                  (("mini-par",), "get", {"reviewer": 200})],
    "intervals": [(("mini-sipas",), "post", {"anonymous": 302, "no_role": 403,
                                            "officer74": 403, "reviewer": 302})],
    "weights": [(("mini-sipas",), "post", {"anonymous": 302, "no_role": 403,
                                          "officer74": 403, "reviewer": 302})],
    "sensitivity": [(("mini-par",), "get", {"anonymous": 302, "no_role": 403, "officer74": 403,
                                           "reviewer": 200, "administrator": 200})],
    "index-audit": [(("mini-par",), "get", {"anonymous": 302, "no_role": 403, "officer74": 403,
                                           "reviewer": 200, "administrator": 200}),
                    (("mini-sipas",), "get", {"officer74": 403, "reviewer": 200})],
    # without weights nothing is saved: sent back to the page, after the role check
    "index-audit-save": [(("mini-par",), "post", {"anonymous": 302, "no_role": 403,
                                                 "officer74": 403, "reviewer": 302,
                                                 "administrator": 302})],
    "index-audit-download": [(("mini-par", "xlsx"), "get",
                              {"anonymous": 302, "no_role": 403, "officer74": 403,
                               "reviewer": 200, "administrator": 200}),
                             (("mini-sipas", "csv"), "get", {"officer74": 403, "reviewer": 200}),
                             (("mini-par", "pdf"), "get", {"reviewer": 404})],
    "uncertainty_method": [((), "get", {"anonymous": 302, "no_role": 403, "officer74": 200,
                                        "reviewer": 200, "administrator": 200})],
}


# --- the 34-unit cycle (from 1 July 2025) ------------------------------------------------------

SUBMISSIONS_2025 = SUBMISSIONS.replace(",74,", ",79,").replace("\ns", "\nt") \
    .replace("2024-09", "2025-09")
ASSESSMENTS_2025 = ASSESSMENTS_2024.replace("\n74,", "\n79,").replace("\n31,", "\n33,")
ARGS = {"mini-par": "mini-par-2025", "mini-sipas": "mini-sipas-2025", "74": "79",
        "mini-citizens": "mini-citizens-2025", 2024: 2025}
ROLES = {"officer74": "officer79", "officer01": "officer01b"}


def for_2025(matrix):
    """The permission matrix of the 63-province indices, for their 34-unit successors."""
    return {name: [(tuple(ARGS.get(a, a) for a in args), method,
                    {ROLES.get(role, role): status for role, status in expected.items()})
                   for args, method, expected in cases]
            for name, cases in matrix.items()}
