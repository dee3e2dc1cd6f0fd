"""Parsing and validation of index definition files (scoring-spec §1). Pure: no database.

The caller passes what it knows of the loaded questionnaires (`QuestionInfo` by
questionnaire and question code) so that sources can be checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scoring.rules.engine import RULES
from scoring.rules.vocabulary import ROOT, IndexKind, Level, Method, Rule
from surveys.definitions import Checker, DefinitionInvalid, join, load_yaml

PAR_DECLARED = ("areas", "criteria", "components", "appraisal_points", "survey_points")
SIPAS_DECLARED = ("parts", "elements", "items")
# The file's keys for the levels below the root (FIRST, SECOND, LEAF).
LEVELS: dict[str, tuple[str, str, str]] = {IndexKind.PAR: ("areas", "criteria", "components"),
          IndexKind.SIPAS: ("parts", "elements", "items")}
DEFAULT_SIPAS_THRESHOLD = 4
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class QuestionInfo:
    """What the index loader needs to know about a question that may be a source."""

    type: str
    substantive_values: tuple[int, ...]


@dataclass(frozen=True)
class SourceSpec:
    questionnaire: str
    question: str
    weight: Decimal


@dataclass(frozen=True)
class NodeSpec:
    code: str
    parent: str  # ROOT for children of the root
    level: int  # a Level: FIRST, SECOND or LEAF
    name_vi: str
    name_en: str
    max_points: Decimal | None
    method: str  # a Method ("" above the leaves)
    rule: str
    threshold: int | None
    fractions: tuple[tuple[int, Decimal], ...]
    sources: tuple[SourceSpec, ...]


@dataclass(frozen=True)
class GroupSpec:
    code: str
    min_percent: Decimal


@dataclass(frozen=True)
class IndexSpec:
    code: str
    kind: str
    year: int
    previous: str
    title_vi: str
    title_en: str
    total_points: Decimal | None
    groups: tuple[GroupSpec, ...]
    nodes: tuple[NodeSpec, ...]
    raw: dict


def _points(c: Checker, data: dict, path: str) -> Decimal | None:
    value = c.decimal(data, "max_points", path)
    if value is None:
        return None
    if value < 0:
        c.add(join(path, "max_points"), f"{value} is negative")
        return None
    if value != value.quantize(TWO_PLACES):
        c.add(join(path, "max_points"), f"{value} has more than 2 decimals")
        return None
    return value


def parse_index(text: str, questionnaires: Mapping[str, Mapping[str, QuestionInfo]]) -> IndexSpec:
    """Validate an index definition (spec §1) and return its parsed form."""
    data = load_yaml(text)
    c = Checker()
    kind = c.require(data, "kind", "")
    if kind is not None and kind not in tuple(IndexKind):
        c.add("kind", f"must be one of {', '.join(IndexKind)}")
        kind = None
    common = {"code", "kind", "year", "previous", "title", "declared", "groups"}
    if kind == IndexKind.PAR:
        c.unknown_keys(data, common | {"total_points", "areas"}, "")
    elif kind == IndexKind.SIPAS:
        c.unknown_keys(data, common | {"questionnaire", "threshold", "parts"}, "")
    code = c.code(data, "code", "")
    year = c.integer(data, "year", "")
    previous = ""
    if data.get("previous") is not None:
        previous = c.code(data, "previous", "") or ""
        if previous and previous == code:
            c.add("previous", "an index cannot be its own previous year")
    title_vi, title_en = c.text(data, "title", "")
    groups = _groups(c, data.get("groups"))

    nodes: list[NodeSpec] = []
    total_points = None
    if kind == IndexKind.PAR:
        total_points = c.decimal(data, "total_points", "")
        _par_tree(c, data, questionnaires, nodes)
        _par_sums(c, data, nodes, total_points)
    elif kind == IndexKind.SIPAS:
        _sipas_tree(c, data, questionnaires, nodes)
    if kind is not None:
        _declared(c, data, kind, nodes)

    if c.problems:
        raise DefinitionInvalid(c.problems)
    return IndexSpec(
        code=code, kind=kind, year=year, previous=previous, title_vi=title_vi,
        title_en=title_en, total_points=total_points, groups=groups, nodes=tuple(nodes),
        raw=data,
    )


def _groups(c: Checker, raw: Any) -> tuple[GroupSpec, ...]:
    if raw is None:
        return ()
    out: list[GroupSpec] = []
    seen: dict[str, str] = {}
    for i, graw in enumerate(c.items(raw, "groups")):
        path = f"groups[{i}]"
        g = c.mapping(graw, path)
        if g is None:
            continue
        c.unknown_keys(g, {"code", "min_percent"}, path)
        gcode = c.code(g, "code", path)
        c.unique(seen, gcode, join(path, "code"))
        minimum = c.decimal(g, "min_percent", path)
        if minimum is not None and not 0 <= minimum <= 100:
            c.add(join(path, "min_percent"), f"{minimum} is outside 0..100")
        if out and minimum is not None and minimum >= out[-1].min_percent:
            c.add(join(path, "min_percent"), "bands must be listed highest first")
        if gcode and minimum is not None:
            out.append(GroupSpec(gcode, minimum))
    return tuple(out)


def _par_tree(
    c: Checker, data: dict, questionnaires: Mapping[str, Mapping[str, QuestionInfo]],
    nodes: list[NodeSpec],
) -> None:
    seen: dict[str, str] = {}
    for ai, araw in enumerate(c.items(c.require(data, "areas", ""), "areas")):
        apath = f"areas[{ai}]"
        area = _branch(c, araw, apath, Level.FIRST, "criteria", seen, nodes)
        if area is None:
            continue
        for ci, craw in enumerate(c.items(area.get("criteria"), join(apath, "criteria"))):
            cpath = f"{apath}.criteria[{ci}]"
            crit = _branch(c, craw, cpath, Level.SECOND, "components", seen, nodes,
                           parent_code=str(area.get("code", "")))
            if crit is None:
                continue
            for ki, kraw in enumerate(c.items(crit.get("components"), join(cpath, "components"))):
                _component(c, kraw, f"{cpath}.components[{ki}]", str(crit.get("code", "")),
                           questionnaires, seen, nodes)


def _branch(
    c: Checker, raw: Any, path: str, level: int, child_key: str,
    seen: dict[str, str], nodes: list[NodeSpec], *, parent_code: str = ROOT,
    with_points: bool = True,
) -> dict | None:
    data = c.mapping(raw, path)
    if data is None:
        return None
    allowed = {"code", "name", child_key} | ({"max_points"} if with_points else set())
    c.unknown_keys(data, allowed, path)
    code = c.code(data, "code", path)
    c.unique(seen, code, join(path, "code"))
    name_vi, name_en = c.text(data, "name", path)
    max_points = _points(c, data, path) if with_points else None
    c.require(data, child_key, path)
    nodes.append(NodeSpec(
        code=code or "", parent=parent_code, level=level, name_vi=name_vi, name_en=name_en,
        max_points=max_points, method="", rule="", threshold=None, fractions=(), sources=(),
    ))
    return data


def _component(
    c: Checker, raw: Any, path: str, parent: str,
    questionnaires: Mapping[str, Mapping[str, QuestionInfo]],
    seen: dict[str, str], nodes: list[NodeSpec],
) -> None:
    data = c.mapping(raw, path)
    if data is None:
        return
    c.unknown_keys(
        data, {"code", "name", "max_points", "method", "rule", "threshold", "fractions",
               "sources"}, path,
    )
    code = c.code(data, "code", path)
    c.unique(seen, code, join(path, "code"))
    name_vi, name_en = c.text(data, "name", path)
    max_points = _points(c, data, path)
    method = c.require(data, "method", path)
    rule, threshold = "", None
    fractions: tuple[tuple[int, Decimal], ...] = ()
    sources: tuple[SourceSpec, ...] = ()
    if method == Method.APPRAISAL:
        for key in ("rule", "threshold", "fractions", "sources"):
            if key in data:
                c.add(join(path, key), "does not apply to an appraisal component")
    elif method == Method.SURVEY:
        rule, threshold, fractions, sources = _survey_rule(c, data, path, questionnaires)
    elif method is not None:
        c.add(join(path, "method"), "must be appraisal or survey")
    nodes.append(NodeSpec(
        code=code or "", parent=parent, level=Level.LEAF, name_vi=name_vi, name_en=name_en,
        max_points=max_points, method=method or "", rule=rule, threshold=threshold,
        fractions=fractions, sources=sources,
    ))


def _survey_rule(
    c: Checker, data: dict, path: str,
    questionnaires: Mapping[str, Mapping[str, QuestionInfo]],
) -> tuple[str, int | None, tuple[tuple[int, Decimal], ...], tuple[SourceSpec, ...]]:
    rule = c.require(data, "rule", path)
    if rule is not None and rule not in tuple(RULES):
        c.add(join(path, "rule"), f"must be one of {', '.join(RULES)}")
        rule = None
    takes = RULES[rule].parameter if rule is not None else ""
    threshold = None
    if takes == "threshold":
        threshold = c.integer(data, "threshold", path)
    elif "threshold" in data:
        c.add(join(path, "threshold"), f"applies to {_taking('threshold')} only")
    fractions = _fractions(c, data, path, takes)

    sources: list[SourceSpec] = []
    seen: set[tuple[str, str]] = set()
    for i, sraw in enumerate(c.items(c.require(data, "sources", path), join(path, "sources"))):
        spath = f"{join(path, 'sources')}[{i}]"
        source = _source(c, sraw, spath, seen)
        if source is None:
            continue
        qn, qcode = source.questionnaire, source.question
        info = _source_question(c, questionnaires, qn, qcode, spath)
        if info is not None and rule is not None:
            _fits(c, rule, threshold, fractions, info, f"{qn}:{qcode}", path)
        sources.append(source)
    return rule or "", threshold, tuple(sorted(fractions.items())), tuple(sources)


def _fractions(c: Checker, data: dict, path: str, takes: str) -> dict[int, Decimal]:
    """The fraction for each option value given (each in [0, 1]), for a rule that takes them."""
    fractions: dict[int, Decimal] = {}
    if takes != "fractions":
        if "fractions" in data:
            c.add(join(path, "fractions"), f"applies to {_taking('fractions')} only")
        return fractions
    raw = c.require(data, "fractions", path)
    if raw is None or c.mapping(raw, join(path, "fractions")) is None:
        return fractions
    for key, value in raw.items():
        fpath = join(path, "fractions", str(key))
        if isinstance(key, bool) or not isinstance(key, int):
            c.add(fpath, f"{key!r} is not an option value")
            continue
        number = c.number(value, fpath)
        if number is not None and not 0 <= number <= 1:
            c.add(fpath, f"{number} is outside [0, 1]")
        elif number is not None:
            fractions[key] = number
    return fractions


def _source(c: Checker, raw: Any, spath: str, seen: set[tuple[str, str]]) -> SourceSpec | None:
    """One entry of a component's sources; None when it is unusable or lists a question again.

    `seen` holds the (questionnaire, question) pairs listed before; this one is added.
    """
    s = c.mapping(raw, spath)
    if s is None:
        return None
    c.unknown_keys(s, {"questionnaire", "question", "weight"}, spath)
    qn = c.require(s, "questionnaire", spath)
    qcode = c.require(s, "question", spath)
    weight: Decimal | None = Decimal(1)
    if s.get("weight") is not None:
        weight = c.number(s["weight"], join(spath, "weight"))
        if weight is not None and weight <= 0:
            c.add(join(spath, "weight"), f"{weight} must be positive")
    if qn is None or qcode is None or weight is None:
        return None
    qn, qcode = str(qn), str(qcode)
    if (qn, qcode) in seen:
        c.add(spath, f"{qn}:{qcode} is listed twice")
        return None
    seen.add((qn, qcode))
    return SourceSpec(qn, qcode, weight)


def _taking(parameter: str) -> str:
    """The rules that take a definition key, for messages."""
    return ", ".join(rule for rule, entry in RULES.items() if entry.parameter == parameter)


def _source_question(
    c: Checker, questionnaires: Mapping[str, Mapping[str, QuestionInfo]],
    qn: str, qcode: str, spath: str,
) -> QuestionInfo | None:
    if qn not in questionnaires:
        c.add(join(spath, "questionnaire"), f"questionnaire {qn!r} is not loaded")
        return None
    info = questionnaires[qn].get(qcode)
    if info is None:
        c.add(join(spath, "question"), f"{qn} has no question {qcode!r}")
        return None
    if info.type not in ("scale", "single_choice") or len(info.substantive_values) < 2:
        c.add(join(spath, "question"),
              f"{qn}:{qcode} is a {info.type} question; a source needs an answer scale")
        return None
    return info


def _fits(
    c: Checker, rule: str, threshold: int | None, fractions: dict[int, Decimal],
    info: QuestionInfo, label: str, path: str,
) -> None:
    lo, hi = min(info.substantive_values), max(info.substantive_values)
    takes = RULES[rule].parameter
    if takes == "threshold" and threshold is not None and not lo <= threshold <= hi:
        c.add(join(path, "threshold"), f"{threshold} is outside {label}'s scale {lo}..{hi}")
    if takes == "fractions":
        for value in info.substantive_values:
            if value not in fractions:
                c.add(join(path, "fractions"), f"no fraction for option {value} of {label}")


def _par_sums(
    c: Checker, data: dict, nodes: list[NodeSpec], total_points: Decimal | None
) -> None:
    by_parent: dict[str, list[NodeSpec]] = {}
    for node in nodes:
        by_parent.setdefault(node.parent, []).append(node)
    paths = _node_paths(data, IndexKind.PAR)
    for node in nodes:
        if node.level == Level.LEAF or node.max_points is None or node.code not in paths:
            continue
        children = by_parent.get(node.code, [])
        if any(ch.max_points is None for ch in children):
            continue
        total = sum((ch.max_points for ch in children), Decimal(0))
        if total != node.max_points:
            word = "criteria" if node.level == Level.FIRST else "components"
            c.add(join(paths[node.code], "max_points"),
                  f"is {node.max_points} but its {word} add up to {total}")
    areas = by_parent.get(ROOT, [])
    if total_points is not None and areas and all(a.max_points is not None for a in areas):
        total = sum((a.max_points for a in areas), Decimal(0))
        if total != total_points:
            c.add("total_points", f"is {total_points} but the areas add up to {total}")


def _node_paths(data: dict, kind: str) -> dict[str, str]:
    """Map each node code to its path in the file, for messages about sums."""
    first, second, third = LEVELS[kind]
    out: dict[str, str] = {}
    for ai, a in enumerate(data.get(first) or []):
        if not isinstance(a, dict):
            continue
        out.setdefault(str(a.get("code")), f"{first}[{ai}]")
        for ci, cr in enumerate(a.get(second) or []):
            if isinstance(cr, dict):
                out.setdefault(str(cr.get("code")), f"{first}[{ai}].{second}[{ci}]")
    return out


def _declared(c: Checker, data: dict, kind: str, nodes: list[NodeSpec]) -> None:
    raw = data.get("declared")
    if raw is None or c.mapping(raw, "declared") is None:
        return
    keys = PAR_DECLARED if kind == IndexKind.PAR else SIPAS_DECLARED
    c.unknown_keys(raw, set(keys), "declared")
    counts = {name: sum(1 for n in nodes if n.level == level)
              for level, name in zip((Level.FIRST, Level.SECOND, Level.LEAF), LEVELS[kind],
                                     strict=True)}
    if kind == IndexKind.PAR:
        leaves = [n for n in nodes if n.level == Level.LEAF]
        if any(n.max_points is None for n in leaves):  # already reported
            keys = tuple(k for k in keys if not k.endswith("_points"))
            leaves = []
        counts["appraisal_points"] = sum(
            (n.max_points for n in leaves if n.method == Method.APPRAISAL), Decimal(0))
        counts["survey_points"] = sum(
            (n.max_points for n in leaves if n.method == Method.SURVEY), Decimal(0))
    for key in keys:
        if key not in raw:
            continue
        expected = c.number(raw[key], f"declared.{key}")
        if expected is not None and expected != counts[key]:
            c.add(f"declared.{key}", f"declares {expected} but the file has {counts[key]}")


def _sipas_tree(
    c: Checker, data: dict, questionnaires: Mapping[str, Mapping[str, QuestionInfo]],
    nodes: list[NodeSpec],
) -> None:
    qn = c.require(data, "questionnaire", "")
    threshold = DEFAULT_SIPAS_THRESHOLD
    if "threshold" in data:
        threshold = c.integer(data, "threshold", "")
    questions = None
    if qn is not None:
        qn = str(qn)
        questions = questionnaires.get(qn)
        if questions is None:
            c.add("questionnaire", f"questionnaire {qn!r} is not loaded")
    seen: dict[str, str] = {}
    for pi, praw in enumerate(c.items(c.require(data, "parts", ""), "parts")):
        ppath = f"parts[{pi}]"
        part = _branch(c, praw, ppath, Level.FIRST, "elements", seen, nodes, with_points=False)
        if part is None:
            continue
        for ei, eraw in enumerate(c.items(part.get("elements"), join(ppath, "elements"))):
            epath = f"{ppath}.elements[{ei}]"
            element = _branch(c, eraw, epath, Level.SECOND, "items", seen, nodes,
                              parent_code=str(part.get("code", "")), with_points=False)
            if element is None:
                continue
            for ii, iraw in enumerate(c.items(element.get("items"), join(epath, "items"))):
                ipath = f"{epath}.items[{ii}]"
                item = c.mapping(iraw, ipath)
                if item is None:
                    continue
                c.unknown_keys(item, {"code", "name", "question"}, ipath)
                code = c.code(item, "code", ipath)
                c.unique(seen, code, join(ipath, "code"))
                name_vi, name_en = ("", "")
                if "name" in item:
                    name_vi, name_en = c.text(item, "name", ipath)
                qcode = c.require(item, "question", ipath)
                sources: tuple[SourceSpec, ...] = ()
                if qcode is not None and questions is not None:
                    qcode = str(qcode)
                    info = questions.get(qcode)
                    if info is None:
                        c.add(join(ipath, "question"), f"{qn} has no question {qcode!r}")
                    elif info.type not in ("scale", "single_choice") or len(
                            info.substantive_values) < 2:
                        c.add(join(ipath, "question"),
                              f"{qn}:{qcode} is a {info.type} question; an item needs a scale")
                    else:
                        lo, hi = min(info.substantive_values), max(info.substantive_values)
                        if threshold is not None and not lo <= threshold <= hi:
                            c.add("threshold" if "threshold" in data else join(ipath, "question"),
                                  f"{threshold} is outside {qn}:{qcode}'s scale {lo}..{hi}")
                        sources = (SourceSpec(qn, qcode, Decimal(1)),)
                nodes.append(NodeSpec(
                    code=code or "", parent=str(element.get("code", "")), level=Level.LEAF,
                    name_vi=name_vi or (code or ""), name_en=name_en or (code or ""),
                    max_points=None, method=Method.SURVEY, rule=Rule.TOP_BOX,
                    threshold=threshold,
                    fractions=(), sources=sources,
                ))
