"""Collection pages: the citizens' survey by public link, officials' questionnaires by invitation.

A questionnaire is answered one section per page. Citizens' answers so far
live in their session (nothing identifies them); officials' are saved as a
draft on the server at every page, so the same link resumes on any device.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from surveys import intake
from surveys.forms import CodeForm, SectionForm
from surveys.intake import Reason
from surveys.models import Province, Questionnaire, Section, Submission
from surveys.ratelimit import WINDOW_SECONDS, client_id, limited
from surveys.selectors import questionnaire_pages, questionnaire_schema
from surveys.validation import is_visible, prune_hidden

ERROR_TEMPLATE = "surveys/link_error_public.html"


FORM_REFUSED = gettext_lazy("This form could not be accepted; nothing was stored.")
WAIT = gettext_lazy("Please wait a minute and try again.")
# What a respondent is told of each refusal: by its reason, never by its English message.
REFUSAL_MESSAGES = {
    Reason.SUBMISSION_ID_LENGTH: FORM_REFUSED,
    Reason.DURATION_INVALID: FORM_REFUSED,
    Reason.ANSWERS_INVALID: gettext_lazy("Some answers are not accepted; nothing was stored."),
    Reason.SAMPLING_INVALID: FORM_REFUSED,
    Reason.CODE_REQUIRED: gettext_lazy("This survey asks for a one-time code. Please open the "
                                       "survey link again and enter your code."),
    Reason.CODE_INVALID: gettext_lazy("This code is not valid for this survey."),
    Reason.TOKEN_REQUIRED: gettext_lazy("Officials answer by invitation: please use the link "
                                        "you were given."),
    Reason.LINK_FOR_ANOTHER_SURVEY: gettext_lazy("This link is for another questionnaire or "
                                                 "province."),
    Reason.OFFICIALS_BY_INVITATION: gettext_lazy("Officials answer by invitation, not through "
                                                 "an enumerator."),
    Reason.LINK_UNKNOWN: gettext_lazy("Please check the address, or ask for a new link."),
    Reason.SUBMISSION_ID_REUSED: gettext_lazy("This form was already sent with other answers; "
                                              "nothing more was stored."),
    Reason.VERSION_CHANGED: gettext_lazy("The questionnaire was changed after these answers "
                                         "were given; nothing was stored."),
    Reason.LINK_USED: gettext_lazy("The questionnaire was already submitted with this link. "
                                   "Thank you."),
    Reason.LINK_EXPIRED: gettext_lazy("This link has expired."),
    Reason.CODE_USED: gettext_lazy("This code has already been used."),
    Reason.QUESTIONNAIRE_CLOSED: gettext_lazy("The survey is closed; answers are no longer "
                                              "accepted."),
    Reason.TOO_MANY_WRONG_CODES: WAIT,
    Reason.TOO_MANY_UNKNOWN_LINKS: WAIT,
}


def _error_page(request: HttpRequest, error: intake.IntakeError, **context) -> HttpResponse:
    titles = {
        404: _("This link is not known"),
        403: _("Access refused"),
        409: _("These answers were already sent differently"),
        410: _("This survey can no longer be answered"),
        429: _("Too many attempts"),
    }
    response = render(request, ERROR_TEMPLATE, {
        "title": titles.get(error.status, _("Something went wrong")),
        "message": REFUSAL_MESSAGES[error.reason], **context,
    }, status=error.status)
    if error.status == 429:
        response["Retry-After"] = str(WINDOW_SECONDS)
    return response


class Layout:
    """A questionnaire's pages and which questions each holds (kept per loaded version).

    Which sections have something to show is worked out from the validation schema,
    without building a form per section.
    """

    def __init__(self, questionnaire: Questionnaire, schema):
        self.pages = questionnaire_pages(questionnaire)
        self.sections: list[Section] = [page.section for page in self.pages]
        self.rules = schema.by_code()
        self.codes = [[q.code for q in page.questions] for page in self.pages]

    def _shows(self, i: int, answers, *, unanswered_counts: bool) -> bool:
        typed = {k: tuple(v) if isinstance(v, list) else v for k, v in answers.items()}
        here = set(self.codes[i])
        for code in self.codes[i]:
            rule = self.rules[code]
            # a condition on the same page is settled in the browser: the question is shown
            if not rule.show_if or rule.show_if in here or is_visible(rule, typed):
                return True
            if unanswered_counts and rule.show_if not in answers:
                return True
        return False

    def next_visible(self, answers, start: int, step: int) -> int | None:
        """The next section (forwards or backwards) that has a question to show."""
        position = start
        while 0 <= position < len(self.sections):
            if self._shows(position, answers, unanswered_counts=False):
                return position
            position += step
        return None

    def counted(self, answers) -> list[int]:
        """Sections for the progress bar: those with a question that is shown, or that may
        be shown once an earlier, still unanswered question is answered."""
        return [i for i in range(len(self.sections))
                if self._shows(i, answers, unanswered_counts=True)]


class Flow:
    """Where a respondent is: answers so far, current section, the submission key."""

    def __init__(self, answers: dict[str, Any], position: int, key: str):
        self.answers, self.position, self.key = answers, position, key


def _handle_section(request, *, questionnaire, flow: Flow, save, finish, context):
    """Shared GET/POST handling of a section page; `save` keeps the flow, `finish` submits."""
    schema = questionnaire_schema(questionnaire)
    layout = Layout(questionnaire, schema)
    sections = layout.sections
    position = layout.next_visible(flow.answers, flow.position, 1)
    if position is None:
        position = layout.next_visible(flow.answers, len(sections) - 1, -1) or 0
    page = layout.pages[position]
    if request.method == "POST":
        posted_key = request.POST.get("submission_id", "")
        if posted_key and posted_key != flow.key and sent_here(request, posted_key):
            return redirect("surveys:receipt")  # a resend of what this browser sent: harmless
        form = SectionForm(request.POST, page=page, rules=layout.rules, prior=flow.answers)
        action = request.POST.get("action", "next")
        valid = form.is_valid()
        # The page's answers replace what was kept for its questions; on Back, the valid
        # ones of an incomplete or wrong page are kept too, and no error is shown.
        answers = {k: v for k, v in flow.answers.items() if k not in form.fields}
        answers = prune_hidden(schema, {**answers, **form.answers()})
        if action == "back":
            previous = layout.next_visible(answers, position - 1, -1)
            save(Flow(answers, previous or 0, flow.key))
            return redirect(request.path)
        if valid:
            following = layout.next_visible(answers, position + 1, 1)
            if following is None and action == "submit":
                try:
                    receipt = finish(answers, flow.key)
                except intake.IntakeError as error:
                    return _error_page(request, error, **context)
                remember_sent(request, receipt)
                return redirect("surveys:receipt")
            save(Flow(answers, following if following is not None else position, flow.key))
            return redirect(request.path)
    else:
        form = SectionForm(page=page, rules=layout.rules, prior=flow.answers)
    visible = layout.counted(flow.answers)
    is_last = layout.next_visible(flow.answers, position + 1, 1) is None
    step = 1 + sum(1 for i in visible if i < position)
    # The page with Submit is the last part: sections that only an answer on it could
    # still show are not counted, so the bar ends at 100 %.
    steps = step + (0 if is_last else sum(1 for i in visible if i > position))
    return render(request, "surveys/section_form.html", {
        "questionnaire": questionnaire, "section": page.section, "form": form,
        "step": step, "steps": steps, "percent": round(100 * step / steps),
        "is_first": layout.next_visible(flow.answers, position - 1, -1) is None,
        "is_last": is_last, "submission_id": flow.key, **context,
    })


# --- citizens ---------------------------------------------------------------------------------

def _public_target(questionnaire_code: str, province_code: str
                   ) -> tuple[Questionnaire, Province, bool]:
    """The citizens' questionnaire and the province a survey link names, and whether codes
    are asked there, in one statement (intake.target_of): every page of the survey reads
    them. Http404 if either is unknown."""
    questionnaire, province, codes_required = intake.target_of(questionnaire_code,
                                                               province_code)
    if questionnaire is None or province is None or questionnaire.audience != "citizen":
        raise Http404
    return questionnaire, province, codes_required


@never_cache
@require_http_methods(["GET", "POST"])
@limited("survey")
def survey_public(request: HttpRequest, questionnaire: str, province: str) -> HttpResponse:
    """The citizens' survey of one questionnaire for one province."""
    try:
        qn, pr, codes_required = _public_target(questionnaire, province)
    except Http404:
        return _error_page(request, intake.NotFound(Reason.LINK_UNKNOWN))
    context: dict[str, Any] = {"province": pr}
    now = timezone.now()
    if not qn.accepts_answers(now):
        closed_on = (timezone.localtime(qn.closes_at - timedelta(microseconds=1)).date()
                     if qn.closes_at is not None and qn.closes_at <= now else None)
        return _error_page(request, intake.Gone(Reason.QUESTIONNAIRE_CLOSED),
                           questionnaire=qn, closed_on=closed_on, **context)
    session_key = f"survey:{qn.code}:{pr.code}"
    state = request.session.get(session_key) or {}
    if codes_required and not state.get("code"):
        return _code_entry(request, qn, pr, session_key, context)
    if state.get("key"):
        flow = Flow(state.get("answers", {}), state.get("position", 0), state["key"])
    else:
        # Nothing is kept until the first page is sent: opening the link (or a chat app
        # fetching it for a preview) writes no session. The page carries its submission
        # key, and when it was shown in a signed field, for the completion time.
        key, started = _survey_start(request)
        state = {**state, "started": started}
        flow = Flow({}, 0, key)
        if started is not None:
            context["survey_start"] = signing.dumps({"key": key, "at": started},
                                                    salt=START_SALT)

    def save(new: Flow) -> None:
        request.session[session_key] = {**state, "answers": new.answers,
                                        "position": new.position, "key": new.key}

    def finish(answers, key):
        started = state.get("started")
        took = (max(0, int(time.time() - started))
                if isinstance(started, (int, float)) else None)
        receipt = intake.submit(questionnaire=qn, province=pr, key=key, raw_answers=answers,
                                channel=Submission.Channel.WEB, code=state.get("code"),
                                client=client_id(request),
                                duration_seconds=min(took, intake.MAX_DURATION_SECONDS)
                                if took is not None else None,
                                codes_required=codes_required)
        request.session.pop(session_key, None)
        return receipt

    return _handle_section(request, questionnaire=qn, flow=flow, save=save, finish=finish,
                           context=context)


START_SALT = "surveys.survey-start"


def _survey_start(request: HttpRequest) -> tuple[str, float | None]:
    """The submission key and start time (s since the epoch) of a survey not yet kept.

    Opening the link makes both. The first page sent keeps its key (unless this browser
    already sent a submission under it: then it is a resend, which `_handle_section`
    answers with the receipt) and the time the page says it was shown, if its signature
    holds for that key; otherwise the time is not known.
    """
    if request.method != "POST":
        return str(uuid.uuid4()), time.time()
    key = request.POST.get("submission_id", "").strip()
    if not key or len(key) > intake.MAX_KEY_LENGTH or sent_here(request, key):
        return str(uuid.uuid4()), None
    try:
        start = signing.loads(request.POST.get("start", ""), salt=START_SALT)
    except signing.BadSignature:
        return key, None
    at = start.get("at") if isinstance(start, dict) and start.get("key") == key else None
    return key, at if isinstance(at, int | float) and not isinstance(at, bool) else None


def _code_entry(request, questionnaire, province, session_key, context):
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            intake.check_code(questionnaire, province, form.cleaned_data["code"],
                              client=client_id(request))
        except intake.Throttled as error:
            return _error_page(request, error, **context)
        except intake.IntakeError as error:
            form.add_error("code", REFUSAL_MESSAGES[error.reason])
            status = 400
        else:
            request.session[session_key] = {"code": form.cleaned_data["code"]}
            return redirect(request.path)
    return render(request, "surveys/code_entry_public.html",
                  {"questionnaire": questionnaire, "form": form, **context}, status=status)


SENT_KEY = "sent"
RECEIPT_KEY = "receipt"
SENT_KEPT = 10


def remember_sent(request: HttpRequest, receipt: intake.Receipt) -> None:
    """Keep, in this browser's session only, what it sent: the receipt until it is shown
    once, and the submission ids, so that a resend from this browser is recognised."""
    sent = [k for k in request.session.get(SENT_KEY, []) if k != receipt.key]
    request.session[SENT_KEY] = [receipt.key, *sent][:SENT_KEPT]
    request.session[RECEIPT_KEY] = receipt.receipt


def sent_here(request: HttpRequest, key: str) -> bool:
    return key in request.session.get(SENT_KEY, [])


@never_cache
def receipt_public(request: HttpRequest) -> HttpResponse:
    """The thank-you page: the receipt code, shown once, read from the session.

    The code is never in an address, so no access log joins it to a client.
    """
    receipt = request.session.pop(RECEIPT_KEY, None)
    if receipt is None and not request.session.get(SENT_KEY):
        raise Http404
    return render(request, "surveys/receipt_public.html", {"receipt": receipt})


# --- officials ----------------------------------------------------------------------------------

DRAFT_SAVED_KEY = "draft_saved"


@never_cache
@require_http_methods(["GET", "POST"])
@limited("survey")
def invitation_official(request: HttpRequest, token: str) -> HttpResponse:
    """An official's questionnaire by invitation; opening the link never uses it up."""
    try:
        invitation = intake.invitation_for(token, client=client_id(request))
    except intake.IntakeError as error:
        posted = request.POST.get("submission_id") if request.method == "POST" else None
        if posted and sent_here(request, posted):  # a resend of the final page
            return redirect("surveys:receipt")
        return _error_page(request, error)
    qn = invitation.questionnaire
    draft = getattr(invitation, "draft", None)
    flow = Flow(dict(draft.answers) if draft else {}, draft.position if draft else 0,
                draft.submission_key if draft else
                (request.POST.get("submission_id") or str(uuid.uuid4())))
    # Any page view of a draft but the one right after saving it here: the link reopened,
    # on this device or another. The session keeps only that a draft was just saved, never
    # which one (docs/privacy.md).
    just_saved = request.session.pop(DRAFT_SAVED_KEY, False)
    restored = draft is not None and request.method == "GET" and not just_saved

    def save(new: Flow) -> None:
        intake.save_draft(invitation=invitation, key=new.key, answers=new.answers,
                          position=new.position)
        request.session[DRAFT_SAVED_KEY] = True

    def finish(answers, key):
        return intake.submit(questionnaire=qn, province=invitation.province, key=key,
                             raw_answers=answers, channel=Submission.Channel.WEB,
                             invitation=invitation, client=client_id(request))

    return _handle_section(request, questionnaire=qn, flow=flow, save=save, finish=finish,
                           context={"province": invitation.province, "official": True,
                                    "saved_at": draft.updated_at if draft else None,
                                    "restored": restored,
                                    "form_action": reverse("surveys:invitation",
                                                           args=[token])})


def survey_start(request: HttpRequest) -> HttpResponse:
    """From the home page's picker to the short survey link of a province."""
    questionnaire = request.GET.get("questionnaire", "")
    province = request.GET.get("province", "")
    try:
        qn, pr, _ = _public_target(questionnaire, province)
    except Http404:
        return _error_page(request, intake.NotFound(Reason.LINK_UNKNOWN))
    return redirect("surveys:survey", questionnaire=qn.code, province=pr.code)
