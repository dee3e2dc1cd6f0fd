"""The words of an index tree: kinds, levels, leaf methods, survey rules, the root (no Django).

Members compare equal to the strings and numbers stored in the database and
written in definition files (`IndexKind.PAR == "par"`, `Level.LEAF == 3`), so
pure code, queries and stored rows speak the same vocabulary. The models give
them their translated labels (`scoring.models`).
"""

from enum import IntEnum, StrEnum


class IndexKind(StrEnum):
    PAR = "par"
    SIPAS = "sipas"


class Level(IntEnum):
    """Depth in the tree; the names differ by kind (see LEVEL_NAMES)."""

    TOTAL = 0
    FIRST = 1  # area / part
    SECOND = 2  # criterion / element
    LEAF = 3  # component / item


class Method(StrEnum):
    """How a leaf is scored."""

    APPRAISAL = "appraisal"
    SURVEY = "survey"


class Rule(StrEnum):
    """How a survey leaf turns its answers into a fraction (see engine.RULES)."""

    SCALED_MEAN = "scaled_mean"
    TOP_BOX = "top_box"
    OPTION_FRACTION = "option_fraction"


# The root (level TOTAL) has the empty code; its children name it as their parent.
ROOT = ""

# Keyed by the stored values too: an Index's kind and a Node's level are plain str and int.
LEVEL_NAMES: dict[str, dict[int, str]] = {
    IndexKind.PAR: {Level.TOTAL: "total", Level.FIRST: "area", Level.SECOND: "criterion",
                    Level.LEAF: "component"},
    IndexKind.SIPAS: {Level.TOTAL: "total", Level.FIRST: "part", Level.SECOND: "element",
                      Level.LEAF: "item"},
}
