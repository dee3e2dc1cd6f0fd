"""The index vocabulary: defined once, importable without Django, equal to what is stored."""

import subprocess
import sys
from pathlib import Path

from django.utils import translation

from scoring.models import Index, Node
from scoring.rules.engine import RULES
from scoring.rules.vocabulary import LEVEL_NAMES, ROOT, IndexKind, Level, Method, Rule

REPO = Path(__file__).resolve().parents[2]


def test_members_equal_the_values_stored_and_written_in_definition_files():
    assert [*IndexKind] == ["par", "sipas"]
    assert [*Level] == [0, 1, 2, 3]
    assert [*Method] == ["appraisal", "survey"]
    assert [*Rule] == ["scaled_mean", "top_box", "option_fraction"]
    assert ROOT == ""
    assert LEVEL_NAMES["sipas"][3] == "item"  # a stored kind and level find their name


def test_every_rule_has_one_entry_in_the_rule_table_in_the_vocabularys_order():
    assert list(RULES) == list(Rule)
    assert {rule: entry.parameter for rule, entry in RULES.items()} == {
        "scaled_mean": "", "top_box": "threshold", "option_fraction": "fractions"}


def test_the_pure_modules_import_without_django():
    code = ("import sys, scoring.rules.vocabulary, scoring.rules.engine, "
            "scoring.rules.uncertainty, scoring.definitions; "
            "print(sorted(m for m in sys.modules if m.startswith('django')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=True)
    assert out.stdout == "[]\n"


def test_model_choices_store_the_plain_values_with_their_labels():
    def choices(model, name):
        return [(type(v).__name__, v, str(label))
                for v, label in model._meta.get_field(name).choices]

    with translation.override("en"):
        assert choices(Index, "kind") == [("str", "par", "PAR Index"), ("str", "sipas", "SIPAS")]
        assert choices(Node, "level") == [
            ("int", 0, "Total"), ("int", 1, "Area / part"), ("int", 2, "Criterion / element"),
            ("int", 3, "Component / item")]
        assert choices(Node, "method") == [("str", "appraisal", "Appraisal"),
                                           ("str", "survey", "Survey")]
        assert choices(Node, "rule") == [
            ("str", "scaled_mean", "Scaled mean"), ("str", "top_box", "Top box"),
            ("str", "option_fraction", "Option fraction")]
