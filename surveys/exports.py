"""Streaming export of raw submissions: one row per submission, bounded memory.

Citizens' rows carry the submission date only (no time of day), and any text
a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import Max, Min
from django.utils import timezone

from surveys.models import Answer, Questionnaire, Submission

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object that hands back what csv.writer writes."""

    def write(self, value: str) -> str:
        return value


def neutralise(text: str) -> str:
    """Prefix text that a spreadsheet would evaluate (=HYPERLINK(...), +cmd, @SUM) with '."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def submission_rows(questionnaire: Questionnaire) -> Iterator[str]:
    """CSV lines: header, then every counted-or-not, not-excluded submission in id order."""
    codes = list(questionnaire.questions.order_by("position").values_list("pk", "code"))
    column = {pk: i for i, (pk, _) in enumerate(codes)}
    citizen = questionnaire.audience == "citizen"
    writer = csv.writer(_Line(), lineterminator="\n")
    yield writer.writerow(["submission_id", "province_code",
                           "submitted_on" if citizen else "submitted_at",
                           *[code for _, code in codes]])
    provinces = dict(questionnaire.province_set.provinces.values_list("pk", "code"))
    base = Submission.objects.filter(questionnaire=questionnaire, excluded=False)
    bounds = base.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return
    start = bounds["lo"]
    while start <= bounds["hi"]:
        end = start + CHUNK
        subs = list(base.filter(pk__gte=start, pk__lt=end).order_by("pk").values_list(
            "pk", "key", "province_id", "submitted_at", "received_at"))
        cells: dict[int, list[list[str]]] = {s[0]: [[] for _ in codes] for s in subs}
        for sid, qid, option, number, text in Answer.objects.filter(
                submission_id__gte=start, submission_id__lt=end,
                submission__in=[s[0] for s in subs]).values_list(
                "submission_id", "question_id", "option_value", "number_value", "text_value"):
            if sid not in cells or qid not in column:
                continue
            if option is not None:
                value = str(option)
            elif number is not None:
                value = format(number.normalize(), "f")
            else:
                value = neutralise(text)
            cells[sid][column[qid]].append(value)
        for sid, key, province_id, submitted, received in subs:
            moment = submitted or received
            local = timezone.localtime(moment)
            when = local.date().isoformat() if citizen else local.isoformat()
            yield writer.writerow([neutralise(key), provinces[province_id], when,
                                   *["|".join(v) for v in cells[sid]]])
        start = end
