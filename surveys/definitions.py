"""Parsing and validation of questionnaire files (scoring-spec §2). Pure: no database.

`parse_questionnaire` turns the YAML text into a `QuestionnaireSpec`, or raises
`DefinitionInvalid` listing every problem by its path in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
QUESTION_TYPES = ("scale", "single_choice", "multi_choice", "number", "text")
CHOICE_TYPES = ("scale", "single_choice", "multi_choice")
AUDIENCES = ("citizen", "official")
DEFAULT_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DefinitionInvalid(Exception):
    """A definition file broke one or more rules; nothing may be written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class OptionSpec:
    value: int
    label_vi: str
    label_en: str
    substantive: bool


@dataclass(frozen=True)
class ScaleSpec:
    code: str
    options: tuple[OptionSpec, ...]

    @property
    def substantive_values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options if o.substantive)


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    section: str
    text_vi: str
    text_en: str
    type: str
    scale: str | None
    required: bool
    show_if_question: str | None
    show_if_values: tuple[int, ...]
    min_value: Decimal | None
    max_value: Decimal | None
    max_length: int


@dataclass(frozen=True)
class SectionSpec:
    code: str
    title_vi: str
    title_en: str


@dataclass(frozen=True)
class QuestionnaireSpec:
    code: str
    year: int
    audience: str
    respondent_group: str
    title_vi: str
    title_en: str
    scales: dict[str, ScaleSpec] = field(default_factory=dict)
    sections: tuple[SectionSpec, ...] = ()
    questions: tuple[QuestionSpec, ...] = ()
    raw: dict = field(default_factory=dict)
    sampling_units: str = "none"  # whether submissions give their psu and stratum


class Checker:
    """Collects problems while walking a parsed YAML document."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def mapping(self, value: Any, path: str) -> dict | None:
        if not isinstance(value, dict):
            self.add(path, "must be a mapping")
            return None
        return value

    def items(self, value: Any, path: str, *, allow_empty: bool = False) -> list:
        if not isinstance(value, list):
            self.add(path, "must be a list")
            return []
        if not value and not allow_empty:
            self.add(path, "must not be empty")
        return value

    def require(self, data: dict, key: str, path: str) -> Any:
        if key not in data or data[key] is None:
            self.add(join(path, key), "is required")
            return None
        return data[key]

    def code(self, data: dict, key: str, path: str) -> str | None:
        value = self.require(data, key, path)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.add(join(path, key), "must be a string")
            return None
        value = str(value)
        if not CODE_RE.match(value) or len(value) > 64:
            self.add(join(path, key), f"{value!r} is not a valid code")
            return None
        return value

    def integer(self, data: dict, key: str, path: str, *, required: bool = True) -> int | None:
        if key not in data or data[key] is None:
            if required:
                self.add(join(path, key), "is required")
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(join(path, key), "must be a whole number")
            return None
        return value

    def decimal(self, data: dict, key: str, path: str, *, required: bool = True) -> Decimal | None:
        if key not in data or data[key] is None:
            if required:
                self.add(join(path, key), "is required")
            return None
        return self.number(data[key], join(path, key))

    def number(self, value: Any, path: str) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.add(path, "must be a number")
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.add(path, f"{value!r} is not a number")
            return None
        if not number.is_finite():
            self.add(path, f"{value!r} is not a number")
            return None
        return number

    def text(self, data: dict, key: str, path: str) -> tuple[str, str]:
        """A bilingual text {vi: ..., en: ...}; Vietnamese is required, English falls back."""
        value = self.require(data, key, path)
        if value is None:
            return "", ""
        if isinstance(value, str):
            return value, value
        if not isinstance(value, dict):
            self.add(join(path, key), "must be a mapping {vi: ..., en: ...}")
            return "", ""
        vi, en = value.get("vi"), value.get("en")
        if not isinstance(vi, str) or not vi.strip():
            self.add(join(path, key, "vi"), "is required")
            vi = ""
        if en is not None and not isinstance(en, str):
            self.add(join(path, key, "en"), "must be text")
            en = None
        return vi, en or vi

    def unique(self, seen: dict[str, str], code: str | None, path: str) -> None:
        if code is None:
            return
        if code in seen:
            self.add(path, f"duplicate code {code!r} (first at {seen[code]})")
        else:
            seen[code] = path

    def unknown_keys(self, data: dict, allowed: set[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                self.add(join(path, str(key)), "is not a known key")


def join(*parts: str) -> str:
    out = ""
    for part in parts:
        if not part:
            continue
        out = part if not out else (f"{out}{part}" if part.startswith("[") else f"{out}.{part}")
    return out


def load_yaml(text: str) -> dict:
    """Parse YAML text into a mapping, or raise DefinitionInvalid."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DefinitionInvalid([Problem(where, f"not valid YAML: {exc}")]) from exc
    if not isinstance(data, dict):
        raise DefinitionInvalid([Problem("", "the file must hold a mapping at the top level")])
    return data


TOP_KEYS = {"code", "year", "audience", "respondent_group", "title", "scales", "sections",
            "sampling_units"}
SAMPLING_UNITS = ("none", "optional", "required")
QUESTION_KEYS = {
    "code", "text", "type", "scale", "options", "required", "show_if", "min", "max", "max_length",
}


def _options(c: Checker, raw: Any, path: str) -> tuple[OptionSpec, ...]:
    out: list[OptionSpec] = []
    data = c.mapping(raw, path)
    if data is None:
        return ()
    c.unknown_keys(data, {"options", "non_substantive"}, path)
    seen: dict[int, str] = {}
    for key, substantive in (("options", True), ("non_substantive", False)):
        if key not in data:
            if substantive:
                c.add(join(path, key), "is required")
            continue
        for i, opt in enumerate(c.items(data[key], join(path, key), allow_empty=not substantive)):
            opath = f"{join(path, key)}[{i}]"
            opt = c.mapping(opt, opath)
            if opt is None:
                continue
            value = c.integer(opt, "value", opath)
            vi, en = c.text(opt, "label", opath)
            if value is None:
                continue
            if value in seen:
                c.add(join(opath, "value"), f"duplicate value {value} (first at {seen[value]})")
                continue
            seen[value] = opath
            out.append(OptionSpec(value, vi, en, substantive))
    values = [o.value for o in out if o.substantive]
    if values != sorted(values):
        c.add(join(path, "options"), "substantive options must be ordered low to high")
    return tuple(out)


def parse_questionnaire(text: str) -> QuestionnaireSpec:
    """Validate a questionnaire file (spec §2) and return its parsed form."""
    data = load_yaml(text)
    c = Checker()
    c.unknown_keys(data, TOP_KEYS, "")
    code = c.code(data, "code", "")
    year = c.integer(data, "year", "")
    if year is not None and not 2000 <= year <= 2100:
        c.add("year", f"{year} is not a plausible year")
    audience = c.require(data, "audience", "")
    if audience is not None and audience not in AUDIENCES:
        c.add("audience", f"must be one of {', '.join(AUDIENCES)}")
    group = c.code(data, "respondent_group", "")
    title_vi, title_en = c.text(data, "title", "")
    sampling_units = data.get("sampling_units", "none")
    if sampling_units not in SAMPLING_UNITS:
        c.add("sampling_units", f"must be one of {', '.join(SAMPLING_UNITS)}")

    scales: dict[str, ScaleSpec] = {}
    raw_scales = data.get("scales") or {}
    if c.mapping(raw_scales, "scales") is not None:
        for scode, sraw in raw_scales.items():
            scales[str(scode)] = ScaleSpec(str(scode), _options(c, sraw, f"scales.{scode}"))

    sections: list[SectionSpec] = []
    questions: list[QuestionSpec] = []
    section_codes: dict[str, str] = {}
    question_codes: dict[str, str] = {}
    by_code: dict[str, QuestionSpec] = {}
    for si, sraw in enumerate(c.items(c.require(data, "sections", ""), "sections")):
        spath = f"sections[{si}]"
        sdata = c.mapping(sraw, spath)
        if sdata is None:
            continue
        c.unknown_keys(sdata, {"code", "title", "questions"}, spath)
        scode = c.code(sdata, "code", spath)
        c.unique(section_codes, scode, join(spath, "code"))
        svi, sen = c.text(sdata, "title", spath)
        sections.append(SectionSpec(scode or f"#{si}", svi, sen))
        for qi, qraw in enumerate(c.items(c.require(sdata, "questions", spath),
                                          join(spath, "questions"))):
            qpath = f"{spath}.questions[{qi}]"
            question = _question(c, qraw, qpath, scode or f"#{si}", scales, by_code)
            if question is None:
                continue
            c.unique(question_codes, question.code, join(qpath, "code"))
            questions.append(question)
            by_code.setdefault(question.code, question)

    if c.problems:
        raise DefinitionInvalid(c.problems)
    return QuestionnaireSpec(
        code=code, year=year, audience=audience, respondent_group=group,
        title_vi=title_vi, title_en=title_en, scales=scales,
        sections=tuple(sections), questions=tuple(questions), raw=data,
        sampling_units=sampling_units if sampling_units in SAMPLING_UNITS else "none",
    )


def _question(
    c: Checker,
    raw: Any,
    path: str,
    section: str,
    scales: dict[str, ScaleSpec],
    earlier: dict[str, QuestionSpec],
) -> QuestionSpec | None:
    data = c.mapping(raw, path)
    if data is None:
        return None
    c.unknown_keys(data, QUESTION_KEYS, path)
    code = c.code(data, "code", path)
    text_vi, text_en = c.text(data, "text", path)
    qtype = _question_type(c, data, path)
    required = data.get("required", False)
    if not isinstance(required, bool):
        c.add(join(path, "required"), "must be true or false")
        required = False
    scale_code = _question_scale(c, data, path, qtype, code, scales)
    min_value, max_value = _number_bounds(c, data, path, qtype)
    max_length = _max_length(c, data, path, qtype)

    show_q: str | None = None
    show_values: tuple[int, ...] = ()
    if "show_if" in data:
        show_q, show_values = _show_if(c, data["show_if"], join(path, "show_if"), scales, earlier)

    if code is None or qtype is None:
        return None
    return QuestionSpec(
        code=code, section=section, text_vi=text_vi, text_en=text_en, type=qtype,
        scale=scale_code, required=required, show_if_question=show_q,
        show_if_values=show_values, min_value=min_value, max_value=max_value,
        max_length=max_length,
    )


def _question_type(c: Checker, data: dict, path: str) -> str | None:
    """The question's type; None when it is missing or unknown (reported)."""
    qtype = c.require(data, "type", path)
    if qtype is not None and qtype not in QUESTION_TYPES:
        c.add(join(path, "type"), f"must be one of {', '.join(QUESTION_TYPES)}")
        return None
    return qtype


def _refuse_keys(c: Checker, data: dict, path: str, keys: tuple[str, ...], message: str) -> None:
    for key in keys:
        if key in data:
            c.add(join(path, key), message)


def _question_scale(
    c: Checker, data: dict, path: str, qtype: str | None, code: str | None,
    scales: dict[str, ScaleSpec],
) -> str | None:
    """The code of a choice question's scale; None for other types or when it is unusable.

    A question's own option list becomes the scale `_CODE`, added to `scales`.
    """
    if qtype not in CHOICE_TYPES:
        if qtype is not None:
            _refuse_keys(c, data, path, ("scale", "options"),
                         f"does not apply to a {qtype} question")
        return None
    scale_code: str | None = None
    has_scale, has_options = "scale" in data, "options" in data
    if qtype == "scale" and has_options:
        c.add(join(path, "options"), "a scale question takes a named scale, not options")
    elif has_scale and has_options:
        c.add(path, "give either scale or options, not both")
    if has_scale:
        scale_code = str(data["scale"])
        if scale_code not in scales:
            c.add(join(path, "scale"), f"unknown scale {scale_code!r}")
            scale_code = None
    elif has_options and qtype != "scale" and code:
        inline = _options(c, {"options": data["options"]}, path)
        scale_code = f"_{code}"
        scales[scale_code] = ScaleSpec(scale_code, inline)
    else:
        c.add(join(path, "scale"), "is required for a choice question")
    if scale_code and qtype == "scale" and len(scales[scale_code].substantive_values) < 2:
        c.add(join(path, "scale"), "a scale needs at least two substantive options")
    return scale_code


def _number_bounds(
    c: Checker, data: dict, path: str, qtype: str | None,
) -> tuple[Decimal | None, Decimal | None]:
    """A number question's (min, max), each None when not given; (None, None) for other types."""
    if qtype != "number":
        if qtype is not None:
            _refuse_keys(c, data, path, ("min", "max"), "applies to number questions only")
        return None, None
    min_value = c.decimal(data, "min", path, required=False)
    max_value = c.decimal(data, "max", path, required=False)
    if min_value is not None and max_value is not None and min_value > max_value:
        c.add(join(path, "max"), f"{max_value} is below min {min_value}")
    return min_value, max_value


def _max_length(c: Checker, data: dict, path: str, qtype: str | None) -> int:
    """A text question's longest answer; DEFAULT_MAX_LENGTH when not given (or not usable)."""
    if "max_length" not in data:
        return DEFAULT_MAX_LENGTH
    if qtype != "text":
        if qtype is not None:
            c.add(join(path, "max_length"), "applies to text questions only")
        return DEFAULT_MAX_LENGTH
    value = c.integer(data, "max_length", path)
    if value is None:
        return DEFAULT_MAX_LENGTH
    if value < 1:
        c.add(join(path, "max_length"), "must be at least 1")
        return DEFAULT_MAX_LENGTH
    return value


def _show_if(
    c: Checker, raw: Any, path: str, scales: dict[str, ScaleSpec],
    earlier: dict[str, QuestionSpec],
) -> tuple[str | None, tuple[int, ...]]:
    data = c.mapping(raw, path)
    if data is None:
        return None, ()
    c.unknown_keys(data, {"question", "in"}, path)
    target = c.require(data, "question", path)
    values = c.items(c.require(data, "in", path), join(path, "in"))
    if target is None:
        return None, ()
    target = str(target)
    if target not in earlier:
        c.add(join(path, "question"), f"{target!r} is not a question asked earlier")
        return None, ()
    parent = earlier[target]
    if parent.type not in CHOICE_TYPES:
        c.add(join(path, "question"), f"{target!r} is not a choice question")
        return None, ()
    if parent.scale is None:  # the parent's own problem is already reported
        return None, ()
    allowed = {o.value for o in scales[parent.scale].options}
    out = []
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int) or v not in allowed:
            c.add(f"{join(path, 'in')}[{i}]", f"{v!r} is not an option of {target}")
        else:
            out.append(v)
    return target, tuple(out)
