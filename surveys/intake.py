"""One submission from the web or the API: access rules, idempotency, then the shared service.

Every channel ends in `surveys.services.record_submissions`, so web, API and
CSV submissions are validated and counted the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from surveys import ratelimit
from surveys.models import (
    SAMPLING_LABEL,
    AccessCode,
    Draft,
    Invitation,
    Province,
    Questionnaire,
    SamplingUnits,
    Submission,
)
from surveys.selectors import questionnaire_schema
from surveys.services import NewSubmission, SubmissionConflict, record_submissions
from surveys.tokens import digest, new_code, new_token, normalise_code
from surveys.validation import clean_answers

MAX_KEY_LENGTH = 64
MAX_DURATION_SECONDS = 7 * 86400
# The limits as a refused field's problem reads; the message puts the field's name first.
KEY_LENGTH_RULE = f"must be 1 to {MAX_KEY_LENGTH} characters"
DURATION_RULE = f"must be a whole number from 0 to {MAX_DURATION_SECONDS}"


class Reason(StrEnum):
    """Why a submission, a link or a code was refused: one stable name for each reason.

    API clients and the translated pages go by these names, never by the English message,
    which may be reworded.
    """

    SUBMISSION_ID_LENGTH = "submission_id_length"
    DURATION_INVALID = "duration_invalid"
    ANSWERS_INVALID = "answers_invalid"
    SAMPLING_INVALID = "sampling_invalid"
    CODE_REQUIRED = "code_required"
    CODE_INVALID = "code_invalid"
    TOKEN_REQUIRED = "token_required"  # noqa: S105 - a refusal code, not a secret
    LINK_FOR_ANOTHER_SURVEY = "link_for_another_survey"
    OFFICIALS_BY_INVITATION = "officials_by_invitation"
    LINK_UNKNOWN = "link_unknown"
    SUBMISSION_ID_REUSED = "submission_id_reused"
    VERSION_CHANGED = "version_changed"
    LINK_USED = "link_used"
    LINK_EXPIRED = "link_expired"
    CODE_USED = "code_used"
    QUESTIONNAIRE_CLOSED = "questionnaire_closed"
    TOO_MANY_WRONG_CODES = "too_many_wrong_codes"
    TOO_MANY_UNKNOWN_LINKS = "too_many_unknown_links"


# The API's English message for each reason (a refusal of several answers lists each too).
MESSAGES = {
    Reason.SUBMISSION_ID_LENGTH: f"submission_id {KEY_LENGTH_RULE}",
    Reason.DURATION_INVALID: f"duration_seconds {DURATION_RULE}",
    Reason.ANSWERS_INVALID: "some answers are not valid",
    Reason.SAMPLING_INVALID: "the sampling unit or stratum is not valid",
    Reason.CODE_REQUIRED: "a one-time code is required for this survey",
    Reason.CODE_INVALID: "this code is not valid for this survey",
    Reason.TOKEN_REQUIRED: "officials answer by invitation: a token is required",
    Reason.LINK_FOR_ANOTHER_SURVEY: "this link is for another questionnaire or province",
    Reason.OFFICIALS_BY_INVITATION: "officials answer by invitation, not through an enumerator",
    Reason.LINK_UNKNOWN: "this link is not known",
    Reason.SUBMISSION_ID_REUSED: "this submission_id was already used with other answers",
    Reason.VERSION_CHANGED: "this questionnaire was changed after these answers were given",
    Reason.LINK_USED: "this link has already been used to submit the questionnaire",
    Reason.LINK_EXPIRED: "this link has expired",
    Reason.CODE_USED: "this code has already been used",
    Reason.QUESTIONNAIRE_CLOSED: "this questionnaire is closed",
    Reason.TOO_MANY_WRONG_CODES: "too many wrong codes; try again in a minute",
    Reason.TOO_MANY_UNKNOWN_LINKS: "too many unknown links; try again in a minute",
}


class IntakeError(Exception):
    """A submission refused, for `reason`; `message` defaults to the reason's (MESSAGES).

    `status` is the HTTP status that fits and `code` the API's stable name for the kind of
    refusal, which several reasons share (`gone` for a used link and a closed questionnaire
    alike); `reasons` are those this kind is raised for, and no other is accepted.
    """

    status = 400
    code = "invalid"
    reasons: frozenset[Reason] = frozenset()

    def __init__(self, reason: Reason, message: str = "", problems: dict[str, str] | None = None,
                 *, field: str = ""):
        if reason not in self.reasons:
            raise ValueError(f"{reason} is not a reason for {type(self).__name__}")
        self.reason = reason
        self.message = message or MESSAGES[reason]
        self.problems = problems or {}
        self.field = field
        super().__init__(self.message)


class AnswersInvalid(IntakeError):
    code = "invalid_answers"
    reasons = frozenset({Reason.SUBMISSION_ID_LENGTH, Reason.DURATION_INVALID,
                         Reason.ANSWERS_INVALID, Reason.SAMPLING_INVALID})


class NotFound(IntakeError):
    status, code = 404, "not_found"
    reasons = frozenset({Reason.LINK_UNKNOWN})


class AccessDenied(IntakeError):
    status, code = 403, "access_denied"
    reasons = frozenset({Reason.CODE_REQUIRED, Reason.CODE_INVALID, Reason.TOKEN_REQUIRED,
                         Reason.LINK_FOR_ANOTHER_SURVEY, Reason.OFFICIALS_BY_INVITATION})


class Gone(IntakeError):
    status, code = 410, "gone"
    reasons = frozenset({Reason.LINK_USED, Reason.LINK_EXPIRED, Reason.CODE_USED,
                         Reason.QUESTIONNAIRE_CLOSED})


class Conflict(IntakeError):
    status, code = 409, "conflict"
    reasons = frozenset({Reason.SUBMISSION_ID_REUSED})


class VersionChanged(IntakeError):
    status, code = 409, "version_changed"
    reasons = frozenset({Reason.VERSION_CHANGED})


class Throttled(IntakeError):
    status, code = 429, "rate_limited"
    reasons = frozenset({Reason.TOO_MANY_WRONG_CODES, Reason.TOO_MANY_UNKNOWN_LINKS})


# Every kind of refusal, in the order of their HTTP statuses.
REFUSALS = (AnswersInvalid, AccessDenied, NotFound, Conflict, VersionChanged, Gone, Throttled)


@dataclass(frozen=True)
class Receipt:
    key: str
    receipt: str
    created: bool


def requires_code(questionnaire: Questionnaire, province: Province) -> bool:
    """Codes are required where staff generated some for this questionnaire and province."""
    return AccessCode.objects.filter(questionnaire=questionnaire, province=province).exists()


def target_of(questionnaire_code: str, province_code: str
              ) -> tuple[Questionnaire | None, Province | None, bool]:
    """The questionnaire, its set's province `province_code` and whether that province
    requires codes (requires_code), in one query: what intake reads before the insert.

    The questionnaire comes without its definition file, which intake does not read (the
    schema is cached per loaded version). None for what does not exist.
    """
    rows = list(Questionnaire.objects.raw(_TARGET_SQL, [province_code, questionnaire_code]))
    if not rows:
        return None, None, False
    found = rows[0]
    if getattr(found, "p_id", None) is None:
        return found, None, False
    province = Province.from_db(
        found._state.db, [f.attname for f in _PROVINCE_FIELDS],
        [getattr(found, f"p_{f.column}") for f in _PROVINCE_FIELDS])
    return found, province, bool(getattr(found, "codes_issued", False))


def _target_sql() -> str:
    questionnaire = [f"q.{f.column}" for f in Questionnaire._meta.concrete_fields
                     if f.name != "definition"]
    province = [f"p.{f.column} AS p_{f.column}" for f in _PROVINCE_FIELDS]
    return (
        f"SELECT {', '.join(questionnaire + province)}, "  # noqa: S608 - names from the models
        f"EXISTS (SELECT 1 FROM {AccessCode._meta.db_table} a "
        "WHERE a.questionnaire_id = q.id AND a.province_id = p.id) AS codes_issued "
        f"FROM {Questionnaire._meta.db_table} q LEFT JOIN {Province._meta.db_table} p "
        "ON p.province_set_id = q.province_set_id AND p.code = %s WHERE q.code = %s")


_PROVINCE_FIELDS = Province._meta.concrete_fields
_TARGET_SQL = _target_sql()


def check_code(questionnaire: Questionnaire, province: Province, code: str, *, client: str
               ) -> AccessCode:
    """The unused code matching what the person typed, or an IntakeError saying why not.

    Wrong codes count against the client (`ratelimit.client_id`) whatever the channel, web
    or API; once it has used up its tries for the minute, no code is checked at all.
    """
    if ratelimit.failures_exhausted(client, "code"):
        raise Throttled(Reason.TOO_MANY_WRONG_CODES, field="code")
    found = AccessCode.objects.filter(code_hash=digest(normalise_code(code)),
                                      questionnaire=questionnaire, province=province).first()
    if found is None:
        ratelimit.note_failed_check(client, "code")
        raise AccessDenied(Reason.CODE_INVALID, field="code")
    if found.used:
        raise Gone(Reason.CODE_USED, field="code")
    return found


def invitation_for(token: str, *, client: str) -> Invitation:
    """The invitation behind a link, if it can still be answered (unknown tokens are
    throttled per client like wrong codes)."""
    if ratelimit.failures_exhausted(client, "token"):
        raise Throttled(Reason.TOO_MANY_UNKNOWN_LINKS, field="token")
    invitation = (Invitation.objects.select_related("questionnaire", "province")
                  .filter(token_hash=digest(token)).first())
    if invitation is None:
        ratelimit.note_failed_check(client, "token")
        raise NotFound(Reason.LINK_UNKNOWN, field="token")
    if invitation.used:
        raise Gone(Reason.LINK_USED, field="token")
    now = timezone.now()
    if invitation.expires_at is not None and now >= invitation.expires_at:
        raise Gone(Reason.LINK_EXPIRED, field="token")
    if not invitation.questionnaire.accepts_answers(now):
        raise Gone(Reason.QUESTIONNAIRE_CLOSED, field="questionnaire")
    return invitation


def clean_sampling(questionnaire: Questionnaire, psu: Any, stratum: Any) -> tuple[str, str]:
    """A submission's primary sampling unit and stratum, checked against the questionnaire.

    Each is empty or a short label (letters, digits, `.`, `_`, `-`; up to 32). A
    questionnaire whose definition records no sampling unit takes none; one that
    requires them takes no submission without a `psu`. Raises AnswersInvalid.
    """
    problems = {}
    cleaned = []
    for name, value in (("psu", psu), ("stratum", stratum)):
        if value is None:
            value = ""
        if not isinstance(value, str):
            problems[name] = "must be text"
            value = ""
        value = value.strip()
        if value and not re.fullmatch(SAMPLING_LABEL, value):
            problems[name] = "must be 1 to 32 letters, digits, '.', '_' or '-'"
        elif value and questionnaire.sampling_units == SamplingUnits.NONE:
            problems[name] = "this questionnaire records no sampling unit"
        cleaned.append(value)
    if not problems and questionnaire.sampling_units == SamplingUnits.REQUIRED \
            and not cleaned[0]:
        problems["psu"] = "is required for this questionnaire"
    if problems:
        name = next(iter(problems))
        raise AnswersInvalid(Reason.SAMPLING_INVALID, f"{name} {problems[name]}", problems)
    return cleaned[0], cleaned[1]


def _existing(key: str) -> Submission | None:
    return Submission.objects.filter(key=key).only("key", "receipt", "content_hash").first()


def submit(
    *, questionnaire: Questionnaire, province: Province, key: str, raw_answers: dict[str, Any],
    channel: str, client: str, code: str | None = None, invitation: Invitation | None = None,
    duration_seconds: int | None = None, version: str | None = None, psu: str | None = None,
    stratum: str | None = None, codes_required: bool | None = None,
) -> Receipt:
    """Validate and store one submission; an identical resend returns the first receipt.

    `duration_seconds` is the time the respondent took, from the first page to
    the final submit, when the channel knows it; `client` identifies the caller for
    the throttle of wrong codes. `psu` and `stratum` are the sampling unit and stratum
    (clean_sampling); a link or code issued for a unit gives its own when none is sent.
    Raises an IntakeError subclass; nothing is stored then.

    `codes_required` is requires_code's answer when the caller read it with the province
    (target_of); None looks it up.

    `version`, when the channel sends it (the offline app: the checksum of the
    questionnaire the answers were filled on), must be the questionnaire's loaded
    version: answers to a questionnaire reloaded since are refused, not re-read. The
    offline channel is an enumerator's, signed in and scoped to a province, so it spends
    no citizen's one-time code (docs/decisions.md).

    Anonymity: the code or invitation is spent in a transaction of its own, before the
    submission's, and keeps no time: nothing stored joins it to the answers (docs/privacy.md).
    """
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise AnswersInvalid(Reason.SUBMISSION_ID_LENGTH,
                             problems={"submission_id": KEY_LENGTH_RULE})
    if duration_seconds is not None and (
            isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int)
            or not 0 <= duration_seconds <= MAX_DURATION_SECONDS):
        raise AnswersInvalid(Reason.DURATION_INVALID,
                             problems={"duration_seconds": DURATION_RULE})
    schema = questionnaire_schema(questionnaire)
    answers, problems = clean_answers(schema, raw_answers)
    if problems:
        raise AnswersInvalid(Reason.ANSWERS_INVALID, problems=problems)
    spends = _spends_access(questionnaire, province, channel, invitation, codes_required)
    if not psu and not stratum and spends:
        psu, stratum = _issued_unit(questionnaire, province, code, invitation)
    psu, stratum = clean_sampling(questionnaire, psu, stratum)
    item = NewSubmission(key=key, province=province, submitted_at=timezone.now(),
                         answers=answers, duration_seconds=duration_seconds, psu=psu,
                         stratum=stratum)
    open_ = questionnaire.accepts_answers(timezone.now()) and (
        version is None or version == questionnaire.checksum)
    if open_ and not spends:
        # Nothing to spend: insert at once; the key's unique constraint tells a resend.
        return _record_one(questionnaire, item, channel, spent=None)
    existing = _existing(key)
    if existing is not None:  # a resend: no code or link is spent twice
        if existing.content_hash != item.fingerprint(questionnaire.code):
            raise Conflict(Reason.SUBMISSION_ID_REUSED, field="submission_id")
        return Receipt(key, existing.receipt, False)
    if not questionnaire.accepts_answers(timezone.now()):
        raise Gone(Reason.QUESTIONNAIRE_CLOSED, field="questionnaire")
    if version is not None and version != questionnaire.checksum:
        raise VersionChanged(Reason.VERSION_CHANGED, field="version")
    if channel == Submission.Channel.OFFLINE:
        raise AccessDenied(Reason.OFFICIALS_BY_INVITATION, field="questionnaire")
    spent = _spend_access(questionnaire, province, code, invitation, client)
    return _record_one(questionnaire, item, channel, spent=spent)


def _spends_access(questionnaire: Questionnaire, province: Province, channel: str,
                   invitation: Invitation | None, codes_required: bool | None) -> bool:
    """Whether this submission must spend a link or a code (or is refused for want of one).

    The offline channel is an enumerator's, signed in and scoped to a province: it spends
    nothing, but only citizens' questionnaires are filled through it.
    """
    if channel == Submission.Channel.OFFLINE:
        return questionnaire.audience != "citizen"
    if invitation is not None or questionnaire.audience == "official":
        return True
    if codes_required is None:
        codes_required = requires_code(questionnaire, province)
    return codes_required


def _record_one(questionnaire: Questionnaire, item: NewSubmission, channel: str,
                spent: _Spent | None) -> Receipt:
    """Store the submission; the link or code `spent` for it is given back if it is not."""
    try:
        recorded = record_submissions(questionnaire=questionnaire, submissions=[item],
                                      channel=channel)
    except SubmissionConflict as exc:
        _restore_access(spent)
        raise Conflict(Reason.SUBMISSION_ID_REUSED, field="submission_id") from exc
    except BaseException:
        _restore_access(spent)
        raise
    if recorded.created:
        return Receipt(item.key, recorded.receipts[item.key], True)
    # an identical copy was stored first (a resend, or a race with this one): keep the
    # access unspent and give the first receipt
    _restore_access(spent)
    return Receipt(item.key, recorded.receipts[item.key], False)


def _issued_unit(questionnaire, province, code, invitation) -> tuple[str, str]:
    """The sampling unit and stratum a link or code was issued for ("" when none)."""
    if invitation is not None:
        return invitation.psu, invitation.stratum
    if code:
        found = AccessCode.objects.filter(
            code_hash=digest(normalise_code(code)), questionnaire=questionnaire,
            province=province).values_list("psu", "stratum").first()
        if found:
            return found
    return "", ""


@dataclass(frozen=True)
class _Spent:
    """A code or invitation marked used, and an official's draft it took away."""

    model: type[AccessCode] | type[Invitation]
    pk: int
    draft: dict | None = None


def _spend_access(questionnaire, province, code, invitation, client) -> _Spent | None:
    """Mark the code or invitation used (and drop the official's draft), committed at once."""
    with transaction.atomic():
        if invitation is not None:
            locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
            if locked.used:
                raise Gone(Reason.LINK_USED, field="token")
            if locked.questionnaire_id != questionnaire.pk or locked.province_id != province.pk:
                raise AccessDenied(Reason.LINK_FOR_ANOTHER_SURVEY, field="token")
            draft = Draft.objects.filter(invitation=locked).first()
            kept = None
            if draft is not None:
                kept = {"submission_key": draft.submission_key, "answers": draft.answers,
                        "position": draft.position}
                draft.delete()
            Invitation.objects.filter(pk=locked.pk).update(used=True)
            return _Spent(Invitation, locked.pk, kept)
        if questionnaire.audience == "official":
            raise AccessDenied(Reason.TOKEN_REQUIRED, field="token")
        if not requires_code(questionnaire, province):
            return None
        if not code:
            raise AccessDenied(Reason.CODE_REQUIRED, field="code")
        found = check_code(questionnaire, province, code, client=client)
        if not AccessCode.objects.filter(pk=found.pk, used=False).update(used=True):
            raise Gone(Reason.CODE_USED, field="code")
        return _Spent(AccessCode, found.pk)


def _restore_access(spent: _Spent | None) -> None:
    """Undo `_spend_access` when the submission was not stored after all."""
    if spent is None:
        return
    with transaction.atomic():
        spent.model.objects.filter(pk=spent.pk).update(used=False)
        if spent.draft is not None:
            Draft.objects.update_or_create(invitation_id=spent.pk, defaults=spent.draft)


# --- staff: codes and invitations -----------------------------------------------------------

def generate_codes(*, questionnaire: Questionnaire, province: Province, count: int,
                   psu: str = "", stratum: str = "") -> list[str]:
    """Make `count` one-time codes; the plain codes are returned once and never stored.

    Codes made for a sampling unit (`psu`, `stratum`) give it to what they admit.
    """
    psu, stratum = _issued_sampling(questionnaire, psu, stratum)
    codes = [new_code() for _ in range(count)]
    AccessCode.objects.bulk_create(
        AccessCode(questionnaire=questionnaire, province=province,
                   code_hash=digest(normalise_code(c)), psu=psu, stratum=stratum)
        for c in codes)
    return codes


def issue_invitations(*, questionnaire: Questionnaire, province: Province, count: int,
                      psu: str = "", stratum: str = "") -> list[str]:
    """Make `count` invitation tokens, expiring when the questionnaire closes.

    Links made for a sampling unit (`psu`, `stratum`) give it to their submission.
    """
    psu, stratum = _issued_sampling(questionnaire, psu, stratum)
    tokens = [new_token() for _ in range(count)]
    Invitation.objects.bulk_create(
        Invitation(questionnaire=questionnaire, province=province, token_hash=digest(t),
                   expires_at=questionnaire.closes_at, psu=psu, stratum=stratum)
        for t in tokens)
    return tokens


def _issued_sampling(questionnaire: Questionnaire, psu: str, stratum: str) -> tuple[str, str]:
    """A link's or code's sampling unit, checked (it may be left out even where required)."""
    if not psu and not stratum:
        return "", ""
    try:
        return clean_sampling(questionnaire, psu, stratum)
    except AnswersInvalid as exc:
        raise ValueError(str(exc)) from exc


def save_draft(*, invitation: Invitation, key: str, answers: dict[str, Any], position: int
               ) -> Draft:
    """Keep an official's answers so far on the server (every page, any device)."""
    draft, _ = Draft.objects.update_or_create(
        invitation=invitation,
        defaults={"submission_key": key, "answers": answers, "position": position})
    return draft
