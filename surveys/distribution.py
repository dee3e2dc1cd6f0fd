"""Links and codes for distribution: what staff print or send, made once.

Every link starts with settings.PUBLIC_BASE_URL, the address citizens and officials
reach the site at, whichever host or port the file was made on.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction

from surveys.intake import generate_codes, issue_invitations
from surveys.models import Province, Questionnaire


def resolve_targets(code: str, province_codes: list[str], *, audience: str
                    ) -> tuple[Questionnaire, list[Province]]:
    questionnaire = Questionnaire.objects.filter(code=code).first()
    if questionnaire is None:
        raise CommandError(f"unknown questionnaire {code!r}")
    if questionnaire.audience != audience:
        raise CommandError(f"{code} is a questionnaire for {questionnaire.audience}s")
    provinces = list(questionnaire.province_set.provinces.order_by("code"))
    if province_codes:
        by_code = {p.code: p for p in provinces}
        unknown = [c for c in province_codes if c not in by_code]
        if unknown:
            raise CommandError(f"unknown province code(s): {', '.join(unknown)}")
        provinces = [by_code[c] for c in province_codes]
    return questionnaire, provinces


def public_link(path: str) -> str:
    """The address of a site path as distributed: on the configured public base URL."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def invitation_rows(questionnaire, provinces, count, *, psu: str = "", stratum: str = ""
                    ) -> tuple[list[str], list[list]]:
    rows = []
    with transaction.atomic():
        for province in provinces:
            for token in issue_invitations(questionnaire=questionnaire, province=province,
                                           count=count, psu=psu, stratum=stratum):
                rows.append([province.code, province.name_vi, questionnaire.code,
                             questionnaire.respondent_group,
                             public_link(f"/i/{token}/")])
    return ["province_code", "province_name", "questionnaire", "respondent_group", "link"], rows


def code_rows(questionnaire, provinces, count, *, psu: str = "", stratum: str = ""
              ) -> tuple[list[str], list[list]]:
    rows = []
    with transaction.atomic():
        for province in provinces:
            link = public_link(f"/s/{questionnaire.code}/{province.code}/")
            for code in generate_codes(questionnaire=questionnaire, province=province,
                                       count=count, psu=psu, stratum=stratum):
                rows.append([province.code, province.name_vi, questionnaire.code, code, link])
    return ["province_code", "province_name", "questionnaire", "code", "link"], rows
