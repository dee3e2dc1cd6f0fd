"""Saving the index audit's named what-if scenarios (audited); results are never touched."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from django.db import IntegrityError, transaction

from scoring.models import AuditEvent, AuditScenario, Index
from scoring.rules.vocabulary import Level
from scoring.services.audit import record_event

NAME_MAX = 120


class ScenarioProblem(Enum):
    NO_NAME = "no_name"
    DUPLICATE = "duplicate"
    BAD_WEIGHTS = "bad_weights"
    UNKNOWN_CRITERION = "unknown_criterion"


class ScenarioRefused(ValueError):
    """A scenario that cannot be saved as given; `problem` says why."""

    def __init__(self, problem: ScenarioProblem):
        super().__init__(problem.value)
        self.problem = problem


def save_scenario(*, index: Index, name: str, weights: dict[str, Decimal],
                  dropped: list[str], user, via: str = "web") -> AuditScenario:
    """Store a named scenario: a weight (≥ 0, not all 0) for every area of the index and the
    criteria left out. A name is used once per index; nothing is stored when refused."""
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise ScenarioRefused(ScenarioProblem.NO_NAME)
    areas = set(index.nodes.filter(level=Level.FIRST).values_list("code", flat=True))
    if (set(weights) != areas or any(w < 0 or not w.is_finite() for w in weights.values())
            or not any(weights.values())):
        raise ScenarioRefused(ScenarioProblem.BAD_WEIGHTS)
    criteria = set(index.nodes.filter(level=Level.SECOND).values_list("code", flat=True))
    if not set(dropped) <= criteria:
        raise ScenarioRefused(ScenarioProblem.UNKNOWN_CRITERION)
    stored = {code: f"{weights[code]:f}" for code in sorted(weights)}
    try:
        with transaction.atomic():
            scenario = AuditScenario.objects.create(index=index, name=name, weights=stored,
                                                    dropped=sorted(dropped), created_by=user)
    except IntegrityError:
        raise ScenarioRefused(ScenarioProblem.DUPLICATE) from None
    record_event(user=user, action=AuditEvent.Action.SCENARIO, index=index.code, name=name,
                 weights=stored, dropped=sorted(dropped), via=via)
    return scenario
