"""The audit log in words: each event as one sentence in the active language.

`describe(action, detail, names)` knows the detail every `record_event` call writes
(scoring.services and the views); `names` gives the names of the provinces, indices
and questionnaires whose codes the detail holds (`selectors.audit_names` looks them up
once for a page of events). A detail of a shape it does not know still reads as a
line of words, never as raw JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from scoring.models import LEVEL_LABELS, AuditEvent, QualityFlag, Role

Action = AuditEvent.Action
QUOTE_LENGTH = 80

VIA_LABELS = {
    "web": gettext_lazy("web page"),
    "site": gettext_lazy("web page"),
    "admin": gettext_lazy("admin site"),
    "command": gettext_lazy("command line"),
    "import": gettext_lazy("file import"),
    "demo": gettext_lazy("demo data"),
    "other": gettext_lazy("other"),
}
SCORE_FIELDS = {"self_score": gettext_lazy("self-assessed score"),
                "appraised_score": gettext_lazy("appraised score")}
NOTE_FIELDS = {"evidence": gettext_lazy("evidence"), "comment": gettext_lazy("comment")}
ACCOUNT_FLAGS = {"is_active": gettext_lazy("active"),
                 "is_staff": gettext_lazy("staff status"),
                 "is_superuser": gettext_lazy("superuser status"),
                 "groups": gettext_lazy("groups"),
                 "user_permissions": gettext_lazy("user permissions")}
LOCK_REASONS = {"locked": gettext_lazy("locked out after too many failed attempts"),
                "slowed": gettext_lazy("slowed down after failed attempts")}


@dataclass(frozen=True)
class AuditNames:
    """Names, in the active language, for the codes a page of events holds.

    A province code names different provinces in different province sets (spec §9),
    so a province is looked up in the set of the event's index or questionnaire;
    `any_set` names a code found with neither (e.g. a role change).
    """

    provinces: Mapping[tuple[int, str], str] = field(default_factory=dict)
    any_set: Mapping[str, str] = field(default_factory=dict)
    index_sets: Mapping[str, int] = field(default_factory=dict)
    questionnaire_sets: Mapping[str, int] = field(default_factory=dict)
    indices: Mapping[str, str] = field(default_factory=dict)
    questionnaires: Mapping[str, str] = field(default_factory=dict)

    def province(self, code: str, detail: Mapping) -> str:
        """The province's name in the set of the detail's index (or questionnaire)."""
        set_id = self.index_sets.get(detail.get("index") or "")
        if set_id is None:
            set_id = self.questionnaire_sets.get(detail.get("questionnaire") or "")
        name = self.provinces.get((set_id, code)) if set_id is not None else None
        return name or self.any_set.get(code) or str(code)

    def index(self, code: str) -> str:
        return self.indices.get(code) or str(code)

    def questionnaire(self, code: str) -> str:
        return self.questionnaires.get(code) or str(code)


def via_label(via: str | None) -> str:
    """How a change came in, in words ("web page", "file import", …); empty for none."""
    if not via:
        return ""
    return str(VIA_LABELS.get(via, via))


def describe(action: str, detail: Mapping, names: AuditNames | None = None, *,
             count: int = 1) -> str:
    """The event as a sentence; `count` is how many times it happened (refused log-ins)."""
    names = names or AuditNames()
    detail = detail if isinstance(detail, Mapping) else {"detail": detail}
    words = SENTENCES.get(action)
    if words is not None:
        try:
            return words(detail, names, count)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass
    return _generic(action, detail)


# --- pieces ------------------------------------------------------------------------------------

def _number(text) -> str:
    """A score as the language writes it (0,43 in Vietnamese, 0.43 in English); — for none."""
    if text is None or text == "":
        return "—"
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        return str(text)
    places = max(0, -value.as_tuple().exponent) if value.is_finite() else 0
    return number_format(value, decimal_pos=places, use_l10n=True)


def _quote(text) -> str:
    text = " ".join(str(text or "").split())
    if not text:
        return _("(empty)")
    if len(text) > QUOTE_LENGTH:
        text = text[:QUOTE_LENGTH - 1].rstrip() + "…"
    return f"«{text}»"


def _role(value) -> str:
    if value is None:
        return _("no role")
    try:
        return str(Role(value).label)
    except ValueError:
        return str(value)


def _role_with_province(role, province, detail, names) -> str:
    if province:
        return _("%(role)s, %(province)s") % {"role": _role(role),
                                               "province": names.province(province, detail)}
    return _role(role)


def _yes_no(value) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def _provinces(value, detail, names) -> str:
    if value in (None, "", "all"):
        return _("all provinces")
    if isinstance(value, list | tuple):
        return ", ".join(names.province(str(code), detail) for code in value)
    return names.province(str(value), detail)


def _version(value) -> str:
    if value in (None, "", "current"):
        return _("the current computation")
    number = str(value).removeprefix("v")
    return _("published version %(v)s") % {"v": number}


def _in_index(sentence: str, detail, names) -> str:
    """A sentence about one index's data, with the index named after it."""
    if detail.get("index"):
        return _("%(sentence)s (%(index)s)") % {"sentence": sentence,
                                                 "index": names.index(detail["index"])}
    return sentence


def _generic(action: str, detail: Mapping) -> str:
    """Any other event: its action, then each fact as `name: value`."""
    try:
        label = str(Action(action).label)
    except ValueError:
        label = str(action).replace("_", " ")
    facts = []
    for key, value in detail.items():
        if isinstance(value, Mapping):
            value = ", ".join(f"{k}: {_yes_no(v)}" for k, v in value.items())
        facts.append(f"{str(key).replace('_', ' ')}: {_yes_no(value)}")
    return f"{label} — {'; '.join(facts)}" if facts else label


# --- one sentence per action --------------------------------------------------------------------

def _score_changed(detail, names, count) -> str:
    sentence = _("Changed the %(field)s of %(component)s for %(province)s: %(old)s → %(new)s") % {
        "field": SCORE_FIELDS[detail["field"]], "component": detail["component"],
        "province": names.province(detail["province"], detail),
        "old": _number(detail.get("old")), "new": _number(detail.get("new"))}
    return _in_index(sentence, detail, names)


def _note_changed(detail, names, count) -> str:
    sentence = _("Changed the %(field)s of %(component)s for %(province)s: %(old)s → %(new)s") % {
        "field": NOTE_FIELDS[detail["field"]], "component": detail["component"],
        "province": names.province(detail["province"], detail),
        "old": _quote(detail.get("old")), "new": _quote(detail.get("new"))}
    return _in_index(sentence, detail, names)


def _role_changed(detail, names, count) -> str:
    staff = detail["staff"]
    now = (detail.get("role"), detail.get("province"))
    before = (detail.get("previous_role"), detail.get("previous_province"))
    if now[0] is None:
        if before[0] is None:
            return _("Removed the role of %(staff)s") % {"staff": staff}
        return _("Removed the role of %(staff)s (was: %(before)s)") % {
            "staff": staff, "before": _role_with_province(*before, detail, names)}
    if before[0] is None:
        return _("Gave %(staff)s the role: %(role)s") % {
            "staff": staff, "role": _role_with_province(*now, detail, names)}
    return _("Changed the role of %(staff)s: %(before)s → %(role)s") % {
        "staff": staff, "before": _role_with_province(*before, detail, names),
        "role": _role_with_province(*now, detail, names)}


def _account_changed(detail, names, count) -> str:
    account = detail["account"]
    if detail.get("deleted"):
        if detail.get("role"):
            return _("Deleted the account %(account)s (role: %(role)s)") % {
                "account": account, "role": _role(detail["role"])}
        return _("Deleted the account %(account)s") % {"account": account}
    changes = []
    for name, change in (detail.get("changes") or {}).items():
        if name == "password":
            changes.append(_("password changed"))
        elif isinstance(change, list | tuple) and len(change) == 2:
            changes.append(_("%(what)s: %(old)s → %(new)s") % {
                "what": ACCOUNT_FLAGS.get(name, name.replace("_", " ")),
                "old": _yes_no(change[0]), "new": _yes_no(change[1])})
        else:
            changes.append(f"{ACCOUNT_FLAGS.get(name, name.replace('_', ' '))}: {_yes_no(change)}")
    if detail.get("created"):
        sentence = _("Created the account %(account)s") % {"account": account}
    else:
        sentence = _("Changed the account %(account)s") % {"account": account}
    return f"{sentence}: {'; '.join(changes)}" if changes else sentence


def _login(detail, names, count) -> str:
    return _("Signed in")


def _login_failed(detail, names, count) -> str:
    return _("Failed sign-in as %(username)s") % {"username": _quote(detail["username"])}


def _login_locked(detail, names, count) -> str:
    sentence = ngettext(
        "Sign-in as %(username)s refused, %(count)s time",
        "Sign-in as %(username)s refused, %(count)s times", count) % {
        "username": _quote(detail["username"]), "count": count}
    reason = LOCK_REASONS.get(detail.get("reason") or "")
    return f"{sentence}: {reason}" if reason else sentence


def _recompute(detail, names, count) -> str:
    return _("Started a full recompute of %(index)s") % {"index": names.index(detail["index"])}


def _download(detail, names, count) -> str:
    kind = detail.get("kind")
    file_format = str(detail.get("format") or "").upper()
    if kind == "audit":
        sentence = _("Downloaded the audit log")
    elif kind == "submissions":
        sentence = _("Downloaded every submission of %(questionnaire)s") % {
            "questionnaire": names.questionnaire(detail["questionnaire"])}
    elif detail.get("level") == "quality":
        sentence = _("Downloaded the quality flags of %(index)s") % {
            "index": names.index(detail["index"])}
    else:
        level = detail["level"]
        sentence = _("Downloaded %(index)s by %(level)s, %(version)s") % {
            "index": names.index(detail["index"]), "level": LEVEL_LABELS.get(level, level),
            "version": _version(detail.get("version"))}
        if detail.get("intervals"):
            sentence = _("%(sentence)s, with intervals") % {"sentence": sentence}
    facts = [file_format] if file_format else []
    if detail.get("rows") is not None:
        facts.append(ngettext("%(n)s row", "%(n)s rows", int(detail["rows"])) % {
            "n": detail["rows"]})
    if "provinces" in detail:
        facts.append(_provinces(detail["provinces"], detail, names))
    return f"{sentence} ({', '.join(facts)})" if facts else sentence


def _excluded(detail, names, count, *, restored: bool = False) -> str:
    where = _("%(province)s, %(questionnaire)s") % {
        "province": names.province(detail["province"], detail),
        "questionnaire": names.questionnaire(detail["questionnaire"])}
    template = (_("Counted submission %(key)s again (%(where)s)") if restored
                else _("Excluded submission %(key)s (%(where)s)"))
    sentence = template % {"key": detail["submission"], "where": where}
    reasons = []
    for reason in detail.get("reasons") or []:
        try:
            reasons.append(str(QualityFlag.Reason(reason).label))
        except ValueError:
            reasons.append(str(reason))
    if reasons:
        sentence += "; " + _("flags: %(reasons)s") % {"reasons": ", ".join(reasons)}
    if detail.get("note"):
        sentence += "; " + _("note: %(note)s") % {"note": _quote(detail["note"])}
    return sentence


def _restored(detail, names, count) -> str:
    return _excluded(detail, names, count, restored=True)


def _published(detail, names, count) -> str:
    sentence = _("Published %(index)s, version %(version)s") % {
        "index": names.index(detail["index"]), "version": detail["version"]}
    correction = detail.get("correction")
    if correction is True:
        sentence += " " + _("(a correction)")
    elif correction:
        sentence += " " + _("(correcting version %(v)s)") % {"v": correction}
    if detail.get("note"):
        sentence += "; " + _("note: %(note)s") % {"note": _quote(detail["note"])}
    return sentence


def _withdrawn(detail, names, count) -> str:
    sentence = _("Withdrew %(index)s, version %(version)s") % {
        "index": names.index(detail["index"]), "version": detail["version"]}
    if detail.get("reason"):
        sentence += "; " + _("reason: %(reason)s") % {"reason": _quote(detail["reason"])}
    return sentence


def _uncertainty(detail, names, count) -> str:
    return _("Started the intervals of %(index)s: %(n)s bootstrap replicates, seed %(seed)s") % {
        "index": names.index(detail["index"]), "n": detail["replicates"], "seed": detail["seed"]}


def _weights(detail, names, count) -> str:
    if "margins" in detail:
        return ngettext(
            "Loaded %(n)s population share for %(questionnaire)s",
            "Loaded %(n)s population shares for %(questionnaire)s", int(detail["margins"])) % {
            "n": detail["margins"], "questionnaire": names.questionnaire(detail["questionnaire"])}
    return _("Computed the survey weights of %(index)s: %(weighted)s submissions weighted, "
             "%(notes)s notes, %(collapsed)s categories merged") % {
        "index": names.index(detail["index"]), "weighted": detail["weighted_submissions"],
        "notes": detail.get("notes", 0), "collapsed": detail.get("collapsed", 0)}


def _paper_value(value) -> str:
    if value is None or value == "":
        return _("blank")
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return _quote(value) if isinstance(value, str) and not value.isdigit() else str(value)


def _paper_batch(detail, names, count) -> str:
    return ngettext(
        "Registered paper batch %(batch)s of %(questionnaire)s for %(province)s: %(n)s form "
        "(serial numbers %(serials)s), collected by %(by)s, arrived on %(date)s",
        "Registered paper batch %(batch)s of %(questionnaire)s for %(province)s: %(n)s forms "
        "(serial numbers %(serials)s), collected by %(by)s, arrived on %(date)s",
        int(detail["forms"])) % {
        "batch": detail["batch"], "questionnaire": names.questionnaire(detail["questionnaire"]),
        "province": names.province(detail["province"], detail), "n": detail["forms"],
        "serials": detail["serials"], "by": _quote(detail["collected_by"]),
        "date": detail["arrived_on"]}


def _paper_keyed(detail, names, count) -> str:
    where = {"serial": detail["serial"], "batch": detail["batch"]}
    outcome = detail["outcome"]
    if outcome == "stored":
        return _("Keyed paper form %(serial)s (batch %(batch)s) a second time, alike: stored "
                 "as submission %(key)s") % {**where, "key": detail.get("submission", "")}
    if outcome == "disagree":
        return _("Keyed paper form %(serial)s (batch %(batch)s) a second time, with "
                 "differences on %(codes)s: sent to the supervisor") % {
            **where, "codes": ", ".join(detail.get("differing") or [])}
    return _("Keyed paper form %(serial)s (batch %(batch)s) for the first time") % where


def _paper_resolved(detail, names, count) -> str:
    changes = "; ".join(
        _("%(code)s: %(first)s / %(second)s → %(paper)s") % {
            "code": code, "first": _paper_value(change.get("first")),
            "second": _paper_value(change.get("second")),
            "paper": _paper_value(change.get("paper"))}
        for code, change in (detail.get("changes") or {}).items())
    return _("Resolved paper form %(serial)s (batch %(batch)s) from the paper, stored as "
             "submission %(key)s: %(changes)s") % {
        "serial": detail["serial"], "batch": detail["batch"], "key": detail["submission"],
        "changes": changes}


def _scenario(detail, names, count) -> str:
    sentence = _("Saved the what-if scenario %(name)s of %(index)s") % {
        "name": _quote(detail.get("name") or ""), "index": names.index(detail["index"])}
    if detail.get("dropped"):
        sentence += "; " + _("criteria left out: %(codes)s") % {
            "codes": ", ".join(str(c) for c in detail["dropped"])}
    return sentence


SENTENCES: dict[str, Callable[[Mapping, AuditNames, int], str]] = {
    Action.LOGIN: _login,
    Action.LOGIN_FAILED: _login_failed,
    Action.LOGIN_LOCKED: _login_locked,
    Action.ROLE_CHANGED: _role_changed,
    Action.ACCOUNT_CHANGED: _account_changed,
    Action.SCORE_CHANGED: _score_changed,
    Action.NOTE_CHANGED: _note_changed,
    Action.PUBLISHED: _published,
    Action.WITHDRAWN: _withdrawn,
    Action.RECOMPUTE: _recompute,
    Action.DOWNLOAD: _download,
    Action.EXCLUDED: _excluded,
    Action.RESTORED: _restored,
    Action.UNCERTAINTY: _uncertainty,
    Action.WEIGHTS: _weights,
    Action.PAPER_BATCH: _paper_batch,
    Action.PAPER_KEYED: _paper_keyed,
    Action.PAPER_RESOLVED: _paper_resolved,
    Action.SCENARIO: _scenario,
}


def action_label(action: str) -> str:
    """The action's name in words (the code itself for an action no longer known)."""
    try:
        return capfirst(str(Action(action).label))
    except ValueError:
        return str(action)


@dataclass(frozen=True)
class AuditLine:
    """One event as the log shows it: who, when, from where and what, in words."""

    at: object  # the event's aware datetime
    who: str
    action: str
    where: str
    description: str


def audit_line(event: AuditEvent, names: AuditNames) -> AuditLine:
    """An event (read with its user) as a line of the log."""
    detail = event.detail if isinstance(event.detail, Mapping) else {}
    via = via_label(detail.get("via"))
    where = ", ".join(part for part in (via, event.address or "") if part) or "—"
    return AuditLine(at=event.at, who=event.user.get_username() if event.user else "—",
                     action=action_label(event.action), where=where,
                     description=describe(event.action, event.detail, names,
                                          count=event.count))
