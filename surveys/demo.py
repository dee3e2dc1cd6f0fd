"""Synthetic submissions for the demo: reproducible, fast, with province-level differences.

Each province has a latent quality in [0, 1] that shifts its answers up the scale,
and each respondent leans above or below it (a latent satisfaction, normal on the
log-odds scale, centred so that the province's mean stays its quality): the same
respondent answers every scale question from the same lean, plus item noise (a
binomial draw), so answers correlate between questions and "satisfied with
everything" respondents exist, as in real surveys. Rows go in with COPY on
PostgreSQL and executemany on SQLite; submissions are left uncounted, so the
next recompute folds them like any other.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import connection, transaction

from surveys.fingerprint import submission_fingerprint
from surveys.models import Answer, Province, Questionnaire, Submission

NON_SUBSTANTIVE_RATE = 0.03
LATENT_SPREAD = 0.6  # standard deviation of a respondent's lean, on the log-odds scale
ITEM_SPREAD = 0.4  # standard deviation of the questions' effects, on the log-odds scale
OPTIONAL_ANSWER_RATE = 0.6
SECONDS_PER_QUESTION = 12  # a citizen's median completion time per question
DURATION_SPREAD = 0.35  # log-normal spread of completion times
# Injected problems (seed_demo --issues): each marks its key with a suffix, so that the
# data-quality checks can be measured against the truth.
SPEEDER, STRAIGHT, DUPLICATE, NEAR = "speeder", "straight", "duplicate", "near"
# each kind, and the data-quality flag reason that must find it
INJECTED = {SPEEDER: "speeder", STRAIGHT: "straight_liner", DUPLICATE: "duplicate",
            NEAR: "duplicate"}
TEXT_ANSWERS = (
    "Cần rút ngắn thời gian chờ.",
    "Thái độ cán bộ tốt.",
    "Nên mở rộng dịch vụ công trực tuyến.",
)


@dataclass(frozen=True)
class DemoQuestion:
    pk: int
    code: str
    type: str
    required: bool
    substantive: tuple[int, ...]
    non_substantive: tuple[int, ...]
    show_if: str
    show_values: frozenset[int]
    lo: int
    hi: int


def _questions(questionnaire: Questionnaire) -> list[DemoQuestion]:
    out = []
    for q in questionnaire.questions.select_related("scale").prefetch_related("scale__options"):
        options = list(q.scale.options.all()) if q.scale else []
        out.append(DemoQuestion(
            pk=q.pk, code=q.code, type=q.type, required=q.required,
            substantive=tuple(o.value for o in options if o.substantive),
            non_substantive=tuple(o.value for o in options if not o.substantive),
            show_if=q.show_if_question, show_values=frozenset(q.show_if_values),
            lo=int(q.min_value) if q.min_value is not None else 0,
            hi=int(q.max_value) if q.max_value is not None else 40,
        ))
    return out


# A normal distribution on 61 points from −4 to 4 sd, for expectations over the lean.
_GRID = [i / 7.5 - 4 for i in range(61)]
_DENSITY = [math.exp(-z * z / 2) for z in _GRID]
_DENSITY = [d / sum(_DENSITY) for d in _DENSITY]


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def lean_centre(p: float, spread: float = LATENT_SPREAD) -> float:
    """The log-odds centre c at which respondents' shares sigmoid(c + spread · Z) average p."""
    lo, hi = -12.0, 12.0
    for _ in range(60):
        mid = (lo + hi) / 2
        mean = sum(w * _sigmoid(mid + spread * z) for z, w in zip(_GRID, _DENSITY, strict=True))
        lo, hi = (mid, hi) if mean < p else (lo, mid)
    return (lo + hi) / 2


def respondent_leans(p: float, n: int, rng: random.Random) -> list[float]:
    """Each of n respondents' lean on the log-odds scale: a step up any scale question has
    chance sigmoid(lean + the question's effect), which averages p over respondents and
    questions."""
    centre = lean_centre(min(max(p, 1e-6), 1 - 1e-6), math.hypot(LATENT_SPREAD, ITEM_SPREAD))
    return [centre + LATENT_SPREAD * rng.gauss(0, 1) for _ in range(n)]


def item_effects(questionnaire: str, questions: list[DemoQuestion]) -> dict[str, float]:
    """Each scale question's effect on the log-odds (some are rated higher than others), the
    same in every province, centred on 0."""
    codes = [q.code for q in questions if q.type == "scale"]
    raw = {c: random.Random(f"item-{questionnaire}-{c}").gauss(0, ITEM_SPREAD) for c in codes}  # noqa: S311 - seeded demo data
    middle = sum(raw.values()) / len(raw) if raw else 0.0
    return {c: v - middle for c, v in raw.items()}


def allocate(total: int, provinces: Sequence[Province], rng: random.Random) -> dict[int, int]:
    """Split `total` submissions between provinces: equal shares, remainder spread at random."""
    base, rest = divmod(total, len(provinces))
    lucky = set(rng.sample(range(len(provinces)), rest))
    return {p.pk: base + (1 if i in lucky else 0) for i, p in enumerate(provinces)}


def seed_questionnaire(
    *,
    questionnaire: Questionnaire,
    total: int,
    quality: dict[str, float],
    rng: random.Random,
    progress: Callable[[str], None] = lambda _: None,
    issues: float = 0.0,
) -> tuple[int, int]:
    """Insert `total` synthetic submissions for a questionnaire; return (submissions, answers).

    Citizens' submissions get a completion time. A share `issues` of submissions
    is made suspect on purpose, in equal parts: speeders (citizens only),
    straight-liners, copies of the previous submission sent minutes later, and
    such copies with one scale answer changed.
    """
    provinces = list(questionnaire.province_set.provinces.order_by("code"))
    questions = _questions(questionnaire)
    effects = item_effects(questionnaire.code, questions)
    shares = allocate(total, provinces, rng)
    start = datetime(questionnaire.year, 8, 1, tzinfo=UTC)
    submissions: list[tuple] = []
    answers: list[tuple] = []
    ids = _reserve_ids(total)
    cursor_id = 0
    timed = questionnaire.audience == "citizen"
    typical = SECONDS_PER_QUESTION * len(questions)
    kinds = (SPEEDER, STRAIGHT, DUPLICATE, NEAR) if timed else (STRAIGHT, DUPLICATE, NEAR)
    for number, province in enumerate(provinces, start=1):
        n = shares[province.pk]
        if not n:
            continue
        leans = respondent_leans(quality[province.code], n, rng)
        given = _draw_province(questions, n, leans, effects, rng)
        previous_moment = None
        for i in range(n):
            sid = ids[cursor_id]
            cursor_id += 1
            kind = rng.choice(kinds) if issues and i and rng.random() < issues else ""
            moment = start + timedelta(seconds=rng.randrange(0, 90 * 86400))
            duration = round(typical * math.exp(rng.gauss(0, DURATION_SPREAD))) if timed \
                else None
            if kind == SPEEDER:
                duration = round(typical * rng.uniform(0.05, 0.25))
            elif kind == STRAIGHT:
                _straight_line(questions, given, i, rng)
            elif kind in (DUPLICATE, NEAR):
                for q in questions:
                    given[q.code][i] = given[q.code][i - 1]
                if kind == NEAR:
                    _change_one(questions, given, i, rng)
                moment = previous_moment + timedelta(seconds=rng.randrange(60, 1800))
            previous_moment = moment
            key = f"demo-{questionnaire.code}-{sid}" + (f"-{kind}" if kind else "")
            cleaned = _answer_rows(sid, questions, given, i, answers)
            submissions.append((
                sid, key, questionnaire.pk, province.pk, Submission.Channel.DEMO, moment,
                moment, submission_fingerprint(questionnaire.code, province.code, cleaned),
                duration,
            ))
        if number % 16 == 0:
            progress(f"  {questionnaire.code}: drawn {cursor_id:,}/{total:,} submissions")
    _insert(submissions, answers)
    return len(submissions), len(answers)


def _draw_province(questions: list[DemoQuestion], n: int, leans: Sequence[float],
                   effects: dict[str, float], rng: random.Random) -> dict[str, list]:
    """Each question's answers by a province's n respondents (None where skipped or hidden)."""
    given: dict[str, list] = {}
    for q in questions:
        visible = [True] * n
        if q.show_if:
            parent = given.get(q.show_if, [None] * n)
            visible = [v in q.show_values for v in parent]
        given[q.code] = _draw(q, n, leans, effects.get(q.code, 0.0), visible, rng)
    return given


def _answer_rows(sid: int, questions: list[DemoQuestion], given: dict[str, list], i: int,
                 answers: list[tuple]) -> dict:
    """Add respondent i's answer rows to `answers`; return the answers by question code."""
    cleaned = {}
    for q in questions:
        value = given[q.code][i]
        if value is None:
            continue
        cleaned[q.code] = value
        if isinstance(value, tuple):
            answers.extend((sid, q.pk, v, None, "") for v in value)
        elif isinstance(value, str):
            answers.append((sid, q.pk, None, None, value))
        elif q.type == "number":
            answers.append((sid, q.pk, None, value, ""))
        else:
            answers.append((sid, q.pk, value, None, ""))
    return cleaned


def _change_one(questions: list[DemoQuestion], given: dict[str, list], i: int,
                rng: random.Random) -> None:
    """Change one scale answer of respondent i to another value of its scale."""
    scale = [q for q in questions if q.type == "scale" and given[q.code][i] in q.substantive]
    if scale:
        q = rng.choice(scale)
        given[q.code][i] = rng.choice([v for v in q.substantive if v != given[q.code][i]])


def _straight_line(questions: list[DemoQuestion], given: dict[str, list], i: int,
                   rng: random.Random) -> None:
    """Make respondent i give one and the same answer to every scale question answered."""
    scale = [q for q in questions if q.type == "scale" and given[q.code][i] is not None]
    if not scale:
        return
    value = rng.choice(scale[0].substantive)
    for q in scale:
        if value in q.substantive:
            given[q.code][i] = value


def _draw(q: DemoQuestion, n: int, leans: Sequence[float], effect: float,
          visible: list[bool], rng: random.Random) -> list:
    """One question's answers; a scale answer takes len − 1 chances of a step up, each with
    its respondent's own probability (a binomial draw)."""
    out: list = [None] * n
    if q.type in ("scale", "single_choice"):
        if q.type == "scale":
            draws = np.random.default_rng(rng.getrandbits(64))  # fast, and still seeded
            chances = 1 / (1 + np.exp(-(np.asarray(leans, dtype=float) + effect)))
            values = [q.substantive[s] for s in
                      draws.binomial(len(q.substantive) - 1, chances).tolist()]
        else:
            values = rng.choices(q.substantive, k=n)
        for i in range(n):
            if not visible[i]:
                continue
            if not q.required and rng.random() > OPTIONAL_ANSWER_RATE:
                continue
            if q.non_substantive and rng.random() < NON_SUBSTANTIVE_RATE:
                out[i] = q.non_substantive[0]
            else:
                out[i] = values[i]
        return out
    for i in range(n):
        if not visible[i] or (not q.required and rng.random() > OPTIONAL_ANSWER_RATE):
            continue
        if q.type == "multi_choice":
            out[i] = tuple(sorted(rng.sample(q.substantive, min(2, len(q.substantive)))))
        elif q.type == "number":
            out[i] = rng.randint(q.lo, q.hi)
        elif rng.random() < 0.1:
            out[i] = rng.choice(TEXT_ANSWERS)
    return out


def _reserve_ids(n: int) -> list[int]:
    """Take `n` submission ids from the database's own sequence (safe beside other writers)."""
    table = Submission._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        first = cursor.fetchone()[0] + 1
        return list(range(first, first + n))


def _insert(submissions: list[tuple], answers: list[tuple]) -> None:
    s_table, a_table = Submission._meta.db_table, Answer._meta.db_table
    s_cols = ("id", "key", "questionnaire_id", "province_id", "channel", "submitted_at",
              "received_at", "content_hash", "duration_seconds", "excluded")
    a_cols = ("submission_id", "question_id", "option_value", "number_value", "text_value")
    rows = [s + (False,) for s in submissions]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy(cursor, s_table, s_cols, rows)
            _copy(cursor, a_table, a_cols, answers)
        else:
            marks = ", ".join(["%s"] * len(s_cols))
            cursor.executemany(
                f"INSERT INTO {s_table} ({', '.join(s_cols)}) VALUES ({marks})", rows)  # noqa: S608
            marks = ", ".join(["%s"] * len(a_cols))
            cursor.executemany(
                f"INSERT INTO {a_table} ({', '.join(a_cols)}) VALUES ({marks})", answers)  # noqa: S608


def _copy(cursor, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    raw = cursor.cursor  # the psycopg cursor under Django's wrapper
    with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)

