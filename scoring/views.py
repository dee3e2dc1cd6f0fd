"""Pages of the scoring side: the landing page and the ministry's review pages.

Every staff view states who may use it (`staff_required`) and, for one
province's data, checks the province against the user's role.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scoring import charts, profile_tree, selectors
from scoring.audit_text import audit_line
from scoring.auth import StaffAuthenticationForm
from scoring.exports import scores_workbook
from scoring.forms import AssessmentsForm, AuditFilterForm, ExclusionForm, WhatIfForm
from scoring.index_audit_exports import audit_csv, audit_tables, audit_workbook
from scoring.models import (
    LEVEL_LABELS,
    Assessment,
    AssessmentChange,
    AuditEvent,
    Index,
    Interval,
    NodeResult,
    Publication,
    QualityFlag,
    Recompute,
    Role,
    UncertaintyRun,
)
from scoring.permissions import (
    ALL_STAFF,
    REVIEWERS,
    may_assess_province,
    may_see_province,
    provinces_in_view,
    role_of,
    sees_all_provinces,
    staff_required,
)
from scoring.rules import index_audit, sensitivity
from scoring.rules import quality as quality_rules
from scoring.rules.uncertainty import MIN_VALID_ANSWERS
from scoring.rules.vocabulary import LEVEL_NAMES, IndexKind, Level, Method
from scoring.selectors import (
    export_rows,
    latest_publication,
    precision,
    public_publications,
    review,
)
from scoring.selectors import index_audit as index_audit_reads
from scoring.selectors.precision import latest_run
from scoring.services.assessments import save_assessments
from scoring.services.audit import record_event
from scoring.services.publishing import (
    NothingToPublish,
    PublishingRefused,
    publish_index,
    publish_summary,
    withdraw_publication,
)
from scoring.services.quality import set_excluded
from scoring.services.results import start_recompute
from scoring.services.scenarios import ScenarioProblem, ScenarioRefused, save_scenario
from scoring.services.uncertainty import start_run as start_bootstrap
from scoring.tasks import (
    bootstrap_index_task,
    check_quality_task,
    compute_weights_task,
    recompute_index_task,
)
from surveys.collation import collation_key
from surveys.downloads import attachment, streamed_attachment
from surveys.exports import submission_rows
from surveys.models import CrosswalkLink, Province, Questionnaire, Submission
from surveys.selectors import submission_answers
from surveys.spreadsheets import csv_text

PROFILE_CACHE_SECONDS = 3600


def home(request):
    """The landing page: what the product is, and which indices are loaded."""
    indices = Index.objects.annotate(
        province_count=Count("results", filter=Q(results__node__level=Level.TOTAL))
    ).order_by("-year", "kind", "code")
    surveys = [q for q in Questionnaire.objects.filter(audience="citizen", is_open=True)
               .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=timezone.now()))
               .select_related("province_set").order_by("-year")[:1]]
    provinces = sorted(surveys[0].province_set.provinces.all() if surveys else [],
                       key=lambda p: collation_key(p.name))
    return render(request, "scoring/home_public.html",
                  {"indices": indices, "survey": surveys[0] if surveys else None,
                   "provinces": provinces, "published": public_publications()})


class LoginView(auth_views.LoginView):
    """Staff log-in; the lock-outs and the audit are the authentication backend's (scoring.auth),
    so the admin's log-in passes the same checks."""

    template_name = "scoring/login_public.html"
    redirect_authenticated_user = True
    authentication_form = StaffAuthenticationForm

    def get_default_redirect_url(self):
        """Enumerators see no staff page: they land in the collection app."""
        role = role_of(self.request.user)
        if role is not None and role.role == Role.ENUMERATOR:
            return reverse("collect:app")
        return super().get_default_redirect_url()


def _index(code: str) -> Index:
    return get_object_or_404(Index, code=code)


def _province(index: Index, code: str) -> Province:
    return get_object_or_404(Province, province_set_id=index.province_set_id, code=code)


def _check_province(request, province: Province) -> None:
    if not may_see_province(request.user, province):
        raise PermissionDenied


def _publication(request, index: Index, publications: list[Publication] | None = None
                 ) -> Publication | None:
    """The version asked for: `?version=current`, `?version=N`, else the latest published.

    `publications`, newest first, saves a query when the page lists them anyway.
    """
    asked = request.GET.get("version", "")
    if asked == "current":
        return None
    if publications is None:
        if asked.isdigit():
            return get_object_or_404(Publication, index=index, version=int(asked))
        return latest_publication(index)
    if asked.isdigit():
        for publication in publications:
            if publication.version == int(asked):
                return publication
        raise Http404
    return publications[0] if publications else None


@staff_required(*ALL_STAFF, Role.ENTRY_SUPERVISOR, Role.ENTRY_OPERATOR)
def review_home(request: HttpRequest) -> HttpResponse:
    """Reviewers see every index; a province officer goes straight to their province, the
    data-entry staff to their province's paper forms."""
    role = request.staff_role
    if role.role in (Role.ENTRY_SUPERVISOR, Role.ENTRY_OPERATOR):
        return redirect("scoring:paper")
    indices = list(Index.objects.order_by("-year", "kind", "code"))
    if role.role == Role.PROVINCE_OFFICER:
        mine = provinces_in_view(request.user)
        rows = [(index, [p for p in mine if p.province_set_id == index.province_set_id])
                for index in indices]
        return render(request, "scoring/review_home_officer.html",
                      {"rows": [(i, ps) for i, ps in rows if ps], "province": role.province})
    years = sorted({q.year for q in Questionnaire.objects.only("year")}, reverse=True)
    return render(request, "scoring/review_home_reviewer.html",
                  {"indices": indices, "years": years})


@staff_required(*REVIEWERS)
def ranking(request: HttpRequest, index: str) -> HttpResponse:
    """The national ranking of one index, with region filter and sortable columns."""
    # The index and its last full recompute in one query: the page stays within 10.
    full = Recompute.objects.filter(index=OuterRef("pk"), full=True).order_by("-started_at")
    idx = get_object_or_404(Index.objects.annotate(
        last_full_at=Subquery(full.values("started_at")[:1]),
        last_full_status=Subquery(full.values("status")[:1])), code=index)
    publications = list(idx.publications.order_by("-version"))
    publication = _publication(request, idx, publications)
    sort = request.GET.get("sort", "rank")
    descending = request.GET.get("order") == "desc"
    region = request.GET.get("region", "")
    page = review.ranking_page(idx, region=region, sort=sort, descending=descending,
                               publication=publication)
    ranked = [r for r in page.rows if r.rank is not None]
    chart = charts.bars(
        [(f"{r.rank}. {r.province_name}", r.percent, page.national.average) for r in ranked],
        title=_("%(index)s: total by province, percent") % {"index": idx.title},
        value_label=_("Total"), reference_label=_("National average"), row_height=22) \
        if ranked else None
    return render(request, "scoring/ranking_reviewer.html", {
        "chart": chart, "points_differ": idx.kind == IndexKind.PAR and idx.total_points != 100,
        "index": idx, "page": page, "region": region, "sort": sort, "descending": descending,
        "publication": publication, "publications": publications,
        "spans": precision.rank_spans(idx),
        "recompute": {"started_at": idx.last_full_at,
                      "status": Recompute.Status(idx.last_full_status).label}
        if idx.last_full_at else None,
    })


def _stamp(value) -> str:
    return str(value.timestamp() if hasattr(value, "timestamp") else value)


def _kept(key: str, build):
    """What `build` returns, kept in the cache under `key` (whose stamps say when it is stale)."""
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, PROFILE_CACHE_SECONDS)
    return value


@staff_required(*ALL_STAFF)
def province_profile(request: HttpRequest, index: str, province: str) -> HttpResponse:
    """A province's areas against the national average, and the drill-down tree."""
    # The newest result of the index and of its previous index's totals (all the profile
    # reads of it), the previous index's public version and the crosswalk, read with the
    # index, stamp the cached profile: any recompute, fold, exclusion, appraisal,
    # publication, withdrawal or crosswalk reload renews it. Each newest time is a subquery
    # of its own (not a join grouped by the index), and the definition is not read.
    def newest(results) -> Subquery:
        return Subquery(results.order_by().values("index").annotate(at=Max("computed_at"))
                        .values("at"))

    run = (UncertaintyRun.objects.filter(index=OuterRef("pk"), status=UncertaintyRun.Status.DONE)
           .order_by("-finished_at", "-pk"))
    idx = get_object_or_404(Index.objects.defer("definition").annotate(
        results_at=newest(NodeResult.objects.filter(index=OuterRef("pk"))),
        latest_version=Subquery(Publication.objects.filter(index=OuterRef("pk"))
                                .order_by("-version").values("version")[:1]),
        run_id=Subquery(run.values("pk")[:1]),
        previous_at=newest(NodeResult.objects.filter(index__code=OuterRef("previous_code"),
                                                     node__level=Level.TOTAL)),
        # the version the public sees: a withdrawal changes it, not the newest version
        previous_version=Subquery(Publication.objects.filter(
            index__code=OuterRef("previous_code"), withdrawn_at__isnull=True)
            .order_by("-version").values("version")[:1]),
        walk=Subquery(CrosswalkLink.objects.filter(target_set_id=OuterRef("province_set_id"))
                      .order_by("-pk").values("pk")[:1]),
        # the newest load of the index's questionnaires (their questions and scales)
        layout_at=Subquery(Questionnaire.objects.filter(
            questions__sources__node__index=OuterRef("pk")).order_by("-loaded_at")
            .values("loaded_at")[:1])), code=index)
    prov = _province(idx, province)
    _check_province(request, prov)
    # no query for the versions of an index never published
    publication = _publication(request, idx) if idx.latest_version else None
    open_all = request.GET.get("open") == "all"
    stamps = ":".join(_stamp(v) for v in (
        idx.results_at, idx.previous_at, idx.previous_version, idx.walk, idx.run_id,
        idx.layout_at))
    key = (f"profile:{idx.pk}:{idx.checksum}:{prov.pk}:"
           f"{publication.pk if publication else 'current'}:{stamps}:{open_all}:"
           f"{get_language()}")
    cached = cache.get(key)
    if cached is None:
        # What the tree shows of the definition, and last year's totals, do not change with
        # this year's results: kept apart, the first view after a change reads neither.
        layout = _kept(f"profile-layout:{idx.pk}:{idx.checksum}:{_stamp(idx.layout_at)}:"
                       f"{get_language()}", lambda: review.profile_layout(idx))
        previous_totals = _kept(
            f"profile-previous:{idx.pk}:{idx.checksum}:{publication is not None}:"
            f"{':'.join(_stamp(v) for v in (idx.previous_at, idx.previous_version, idx.walk))}",
            lambda: selectors.previous_totals(idx, published=publication is not None))
        profile = review.province_profile(idx, prov, publication=publication, layout=layout,
                                          previous=previous_totals)
        root, standing = profile.root, profile.standing
        tree = profile_tree.tree_html(root, open_all=open_all) if root else ""
        interval = None
        if idx.run_id and publication is None and root is not None:
            interval = (Interval.objects.filter(run_id=idx.run_id, province=prov,
                                                node__level=Level.TOTAL).values_list("low", "high")
                        .first())
        strengths = (index_audit_reads.strengths_and_weaknesses(idx, prov,
                                                                publication=publication)
                     if root is not None else ([], []))
        chart = None
        if root is not None:
            chart = charts.bars(
                [(f"{c.code}. {c.name}", c.percent, c.national_percent) for c in root.children],
                title=_("%(province)s: %(index)s by %(level)s, percent") % {
                    "province": prov.name, "index": idx.title,
                    "level": LEVEL_LABELS[LEVEL_NAMES[idx.kind][Level.FIRST]]},
                value_label=prov.name, reference_label=_("National average"))
            # The page shows the total's figures; the tree below it is in `tree` already.
            root = replace(root, children=[], sources=[])
        cached = (root, tree, chart, standing, interval, strengths)
        cache.set(key, cached, PROFILE_CACHE_SECONDS)
    root, tree, chart, standing, interval, strengths = cached
    return render(request, "scoring/province_reviewer.html", {
        "index": idx, "province": prov, "root": root, "chart": chart, "tree": tree,
        "standing": standing, "interval": interval, "open_all": open_all,
        "publication": publication, "strengths": strengths[0], "weaknesses": strengths[1],
        "level_labels": [(name, LEVEL_LABELS[name]) for depth, name in
                         sorted(LEVEL_NAMES[idx.kind].items()) if depth],
        "can_review": sees_all_provinces(request.user),
    })


@staff_required(*ALL_STAFF)
def assessments(request: HttpRequest, index: str, province: str) -> HttpResponse:
    """Self-assessed scores (province officers) and appraised scores (reviewers), with history."""
    idx = _index(index)
    prov = _province(idx, province)
    if not may_assess_province(request.user, prov):
        raise PermissionDenied
    if idx.kind != IndexKind.PAR:
        raise Http404
    officer = request.staff_role.role == Role.PROVINCE_OFFICER
    field, note = ("self_score", "evidence") if officer else ("appraised_score", "comment")
    components = list(idx.nodes.filter(level=Level.LEAF, method=Method.APPRAISAL)
                      .order_by("position"))
    current = {a.node_id: a for a in Assessment.objects.filter(index=idx, province=prov)}
    form = AssessmentsForm(request.POST if request.method == "POST" else None,
                           components=components, current=current, score_field=field,
                           note_field=note)
    if request.method == "POST" and form.is_valid():
        scores, notes = form.changes()
        saved = save_assessments(index=idx, province=prov, user=request.user, scores=scores,
                                 notes=notes, via="web")
        messages.success(request, _("Saved: %(n)s scores and %(m)s notes changed.") % {
            "n": saved.scores, "m": saved.notes})
        return redirect(request.path)
    history = (AssessmentChange.objects.filter(assessment__index=idx, assessment__province=prov)
               .select_related("assessment__node", "changed_by").order_by("-changed_at", "-id"))
    rows = [{"node": n, "assessment": current.get(n.pk), "score": form[f"score-{n.pk}"],
             "note": form[f"note-{n.pk}"]} for n in components]
    return render(request, "scoring/assessments_reviewer.html", {
        "index": idx, "province": prov, "rows": rows, "field": field, "note": note,
        "form": form, "errors": form.error_summary() if form.is_bound else [],
        "history": history[:200], "officer": officer,
    }, status=400 if form.is_bound and form.errors else 200)


@staff_required(*ALL_STAFF)
def download(request: HttpRequest, index: str, level: str, fmt: str) -> HttpResponse:
    """A table as CSV or XLSX (the columns of export_scores); every download is audited."""
    idx = _index(index)
    if level not in LEVEL_NAMES[idx.kind].values() or fmt not in ("csv", "xlsx"):
        raise Http404
    publication = _publication(request, idx)
    scope = None
    if not sees_all_provinces(request.user):
        scope = {p.code for p in provinces_in_view(request.user)
                 if p.province_set_id == idx.province_set_id}
    header, rows = export_rows(idx, level, publication=publication, province_codes=scope)
    version = f"v{publication.version}" if publication else "current"
    intervals = request.GET.get("intervals") == "1" and publication is None
    if intervals:  # the latest bootstrap, which belongs to the current computation
        header, rows = precision.with_intervals(idx, level, header, rows)
    name = f"{idx.code}-{level}-{version}{'-intervals' if intervals else ''}.{fmt}"
    record_event(user=request.user, action=AuditEvent.Action.DOWNLOAD, index=idx.code,
                 level=level, format=fmt, version=version, rows=len(rows), intervals=intervals,
                 provinces=sorted(scope) if scope else "all")
    if fmt == "xlsx":
        return attachment(scores_workbook(idx, level, header, rows, title=f"{idx.code} {level}"),
                          name)
    return attachment(csv_text(header, rows), name)


class PublishForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note (what is published and why; shown to the public)"),
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Please write a note.")})


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for withdrawing (kept in the audit log)"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Please give the reason.")})


@staff_required(*REVIEWERS)
def publish(request: HttpRequest, index: str) -> HttpResponse:
    """What publishing now would publish, to confirm with a note; then publish (spec §10)."""
    idx = _index(index)
    form = PublishForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            publication = publish_index(index=idx, user=request.user,
                                        note=form.cleaned_data["note"])
        except NothingToPublish:
            messages.error(request, _("There are no computed results to publish yet."))
            return redirect("scoring:publish", index=idx.code)
        messages.success(request, _("Published as version %(v)s.") % {
            "v": publication.version})
        return redirect("scoring:publish", index=idx.code)
    return render(request, "scoring/publish_reviewer.html", {
        "index": idx, "form": form, "summary": publish_summary(idx),
        "publications": idx.publications.select_related("published_by", "withdrawn_by")
        .order_by("-version"), "withdraw_form": WithdrawForm(),
    }, status=400 if form.is_bound and form.errors else 200)


@require_POST
@staff_required(*REVIEWERS)
def withdraw(request: HttpRequest, index: str, version: int) -> HttpResponse:
    """Take a published version off the public pages, with a reason (audited)."""
    idx = _index(index)
    publication = get_object_or_404(Publication, index=idx, version=version)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give the reason."))
        return redirect("scoring:publish", index=idx.code)
    try:
        withdraw_publication(publication=publication, user=request.user,
                             reason=form.cleaned_data["reason"])
    except PublishingRefused:
        messages.error(request, _("Version %(v)s is already withdrawn.") % {"v": version})
        return redirect("scoring:publish", index=idx.code)
    messages.success(request, _("Version %(v)s is withdrawn from the public pages.") % {
        "v": version})
    return redirect("scoring:publish", index=idx.code)


@require_POST
@staff_required(*REVIEWERS)
def recompute(request: HttpRequest, index: str) -> HttpResponse:
    """Start a full recompute on the worker and follow it on its progress page."""
    idx = _index(index)
    record = start_recompute(index=idx, user=request.user, via="web")
    recompute_index_task.delay(record.pk)
    return redirect("scoring:recompute-status", pk=record.pk)


@staff_required(*REVIEWERS)
def recompute_status(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(Recompute.objects.select_related("index"), pk=pk)
    if request.GET.get("format") == "json":
        return JsonResponse({"status": record.status, "progress": record.progress,
                             "finished_at": record.finished_at})
    return render(request, "scoring/recompute_reviewer.html", {"record": record})


@staff_required(*REVIEWERS)
def monitoring(request: HttpRequest, year: int) -> HttpResponse:
    page = review.monitoring_page(year)
    if not page.questionnaires:
        raise Http404
    chart = charts.daily_line(page.days, title=_("Submissions per day, %(year)s") % {
        "year": year})
    channels = selectors.channel_counts(questionnaires=page.questionnaires)
    return render(request, "scoring/monitoring_reviewer.html", {
        "page": page, "year": year, "chart": chart,
        "channels": [(q, [channels.get(q.pk, {}).get(c, 0) for c, _ in CHANNELS])
                     for q in page.questionnaires],
        "channel_names": [name for _, name in CHANNELS],
        "operators": selectors.operator_figures(questionnaires=page.questionnaires),
        "questions": selectors.question_disagreement(questionnaires=page.questionnaires),
        "batches": selectors.paper_batches_of(questionnaires=page.questionnaires)})


# The ways in, in the order the monitoring page shows them.
CHANNELS = [(c, Submission.Channel(c).label) for c in (
    Submission.Channel.WEB, Submission.Channel.API, Submission.Channel.PAPER,
    Submission.Channel.IMPORT, Submission.Channel.DEMO)]


AUDIT_PAGE_EVENTS = 500
AUDIT_COLUMNS = ["at", "user", "action", "province", "address", "via", "description", "detail"]


@staff_required(Role.ADMINISTRATOR)
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log in words, filtered: the latest 500 events (the CSV holds them all)."""
    form = AuditFilterForm(request.GET, provinces=selectors.audit_province_choices())
    events = selectors.audit_events(**form.filters())
    shown = list(events[:AUDIT_PAGE_EVENTS + 1])
    total = events.count() if len(shown) > AUDIT_PAGE_EVENTS else len(shown)
    shown = shown[:AUDIT_PAGE_EVENTS]
    names = selectors.audit_names(e.detail for e in shown)
    query = request.GET.urlencode()
    return render(request, "scoring/audit_admin.html", {
        "form": form, "lines": [audit_line(e, names) for e in shown], "total": total,
        "limit": AUDIT_PAGE_EVENTS,
        "download": reverse("scoring:audit-download") + (f"?{query}" if query else "")})


@staff_required(Role.ADMINISTRATOR)
def audit_download(request: HttpRequest) -> HttpResponse:
    """The filtered audit log as CSV (every matching event), with each event in words in the
    page's language beside its JSON detail; the download itself is audited."""
    form = AuditFilterForm(request.GET, provinces=selectors.audit_province_choices())
    filters = form.filters()
    events = list(selectors.audit_events(**filters))
    names = selectors.audit_names(e.detail for e in events)
    rows = []
    for event in events:
        detail = event.detail if isinstance(event.detail, dict) else {}
        line = audit_line(event, names)
        rows.append([timezone.localtime(event.at).isoformat(timespec="seconds"),
                     event.user.get_username() if event.user else "", event.action,
                     detail.get("province") or "", event.address or "", detail.get("via") or "",
                     line.description,
                     json.dumps(event.detail, ensure_ascii=False, sort_keys=True)])
    record_event(user=request.user, action=AuditEvent.Action.DOWNLOAD, kind="audit",
                 format="csv", rows=len(rows),
                 filters={k: str(v) for k, v in filters.items() if v})
    return attachment(csv_text(AUDIT_COLUMNS, rows, bom=True),
                      f"audit-log-{timezone.localdate():%Y%m%d}.csv")


@staff_required(*REVIEWERS)
def download_submissions(request: HttpRequest, questionnaire: str) -> StreamingHttpResponse:
    """Every submission of a questionnaire as CSV, streamed; audited like every download."""
    qn = get_object_or_404(Questionnaire, code=questionnaire)
    record_event(user=request.user, action=AuditEvent.Action.DOWNLOAD,
                 questionnaire=qn.code, format="csv", kind="submissions")
    return streamed_attachment(submission_rows(qn), f"{qn.code}-submissions.csv")


# --- numbers you can defend: data quality, intervals, weights, sensitivity ----------------------

def _back(request: HttpRequest, fallback: str) -> str:
    """Where a form came from, if it is a page of this site; else the fallback."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


@staff_required(*REVIEWERS)
def quality(request: HttpRequest, index: str) -> HttpResponse:
    """Flagged submissions per province, by reason, and answers that stand out."""
    idx = _index(index)
    rows = precision.quality_rows(idx)
    totals = {"submissions": sum(r.submissions for r in rows),
              "flagged": sum(r.flagged for r in rows),
              "excluded": sum(r.excluded for r in rows)}
    return render(request, "scoring/quality_reviewer.html", {
        "index": idx, "rows": rows, "totals": totals, "reasons": QualityFlag.Reason.choices,
        "rules": {"speeder": int(quality_rules.SPEEDER_SHARE * 100),
                  "run": quality_rules.STRAIGHT_MIN_RUN,
                  "share": int(quality_rules.STRAIGHT_MIN_SHARE * 100),
                  "window": int(quality_rules.DUPLICATE_WINDOW.total_seconds() // 60),
                  "z": quality_rules.OUTLIER_Z, "near_same": quality_rules.NEAR_MIN_SAME,
                  "min_answers": quality_rules.OUTLIER_MIN_ANSWERS},
    })


@require_POST
@staff_required(*REVIEWERS)
def quality_check(request: HttpRequest, index: str) -> HttpResponse:
    idx = _index(index)
    check_quality_task.delay(sorted(selectors.index_questionnaire_ids(idx)))
    messages.success(request, _("The checks are running; the counts update when they finish."))
    return redirect("scoring:quality", index=idx.code)


@staff_required(*REVIEWERS)
def quality_province(request: HttpRequest, index: str, province: str) -> HttpResponse:
    """One province's flagged or excluded submissions, to exclude or restore."""
    idx = _index(index)
    prov = _province(idx, province)
    submissions = list(Submission.objects.filter(
        questionnaire_id__in=selectors.index_questionnaire_ids(idx), province=prov)
        .filter(Q(quality_flags__isnull=False) | Q(excluded=True)).distinct()
        .select_related("questionnaire").prefetch_related("quality_flags")
        .order_by("questionnaire__code", "submitted_at", "pk"))
    answers = submission_answers([s.pk for s in submissions])
    notes: dict[str, AuditEvent] = {}
    for event in (AuditEvent.objects.filter(
            action__in=[AuditEvent.Action.EXCLUDED, AuditEvent.Action.RESTORED],
            detail__submission__in=[s.key for s in submissions])
            .select_related("user").order_by("-at", "-pk")):
        notes.setdefault(event.detail.get("submission"), event)
    rows = [(s, answers.get(s.pk, []), notes.get(s.key)) for s in submissions]
    return render(request, "scoring/quality_province_reviewer.html", {
        "index": idx, "province": prov, "rows": rows})


@require_POST
@staff_required(*REVIEWERS)
def exclusion(request: HttpRequest, pk: int) -> HttpResponse:
    """Exclude a submission from every count, or restore it; the decision is audited."""
    submission = get_object_or_404(Submission.objects.select_related("questionnaire",
                                                                     "province"), pk=pk)
    form = ExclusionForm(request.POST)
    if not form.is_valid():
        return HttpResponse(" ".join(e for errors in form.errors.values() for e in errors),
                            status=400)
    changed = set_excluded(submission=submission, excluded=form.excluded, user=request.user,
                           note=form.cleaned_data["note"])
    if changed:
        messages.success(request, (_("Submission %(key)s is excluded and no longer counts.")
                                   if form.excluded else
                                   _("Submission %(key)s counts again.")) % {
            "key": submission.key})
    return redirect(_back(request, reverse("scoring:review")))


@staff_required(*REVIEWERS)
def quality_download(request: HttpRequest, index: str) -> HttpResponse:
    """Every flag of the index's questionnaires as CSV (audited)."""
    idx = _index(index)
    flags = (QualityFlag.objects.filter(
        submission__questionnaire_id__in=selectors.index_questionnaire_ids(idx))
        .order_by("submission__questionnaire__code", "submission__province__code",
                  "submission_id", "reason")
        .values_list("submission__key", "submission__questionnaire__code",
                     "submission__province__code", "reason", "detail", "submission__excluded"))
    rows = [[key, q, p, reason, detail, "yes" if excluded else "no"]
            for key, q, p, reason, detail, excluded in flags]
    record_event(user=request.user, action=AuditEvent.Action.DOWNLOAD, index=idx.code,
                 level="quality", format="csv", version="current", rows=len(rows),
                 provinces="all")
    return attachment(csv_text(["submission_id", "questionnaire", "province_code", "reason",
                                "detail", "excluded"], rows), f"{idx.code}-quality-flags.csv")


class PlannerForm(forms.Form):
    target = forms.DecimalField(label=gettext_lazy("Margin of error wanted (± points)"),
                                min_value=0.1, max_value=50, decimal_places=2, initial=3)


@staff_required(*REVIEWERS)
def precision_page(request: HttpRequest, index: str) -> HttpResponse:
    """Each province's interval, rank interval, weighted total and sample-size plan."""
    idx = _index(index)
    form = PlannerForm(request.GET or None)
    target = float(form.cleaned_data["target"]) if form.is_valid() else 3.0
    run = latest_run(idx)
    latest = idx.recomputes.filter(status=Recompute.Status.DONE).order_by("-finished_at").first()
    rows = precision.precision_rows(idx, target=target)
    unit = _("points") if idx.kind == IndexKind.PAR else "%"
    chart = charts.intervals(
        [(f"{r.rank}. {r.name}", r.value, *r.ci) for r in rows if r.rank is not None],
        title=_("%(index)s: each province's total and its 95%% interval") % {
            "index": idx.title}, unit=unit) if run else None
    needed = [r.needed for r in rows if r.needed is not None]
    return render(request, "scoring/precision_reviewer.html", {
        "index": idx, "form": form, "target": target, "run": run, "chart": chart,
        "stale": run is not None and latest is not None and latest.finished_at > run.finished_at,
        "rows": rows, "unit": unit, "min_answers": MIN_VALID_ANSWERS,
        "plan": {"provinces": len(needed), "total": sum(needed),
                 "short": sum(1 for r in rows if r.needed and r.needed > r.respondents)}
        if needed else None,
        "running": idx.uncertainty_runs.filter(status=UncertaintyRun.Status.RUNNING).first(),
    })


@require_POST
@staff_required(*REVIEWERS)
def start_intervals(request: HttpRequest, index: str) -> HttpResponse:
    idx = _index(index)
    if not idx.results.exists():
        messages.error(request, _("There are no computed results yet: recompute first."))
        return redirect("scoring:precision", index=idx.code)
    run = start_bootstrap(index=idx, user=request.user)
    bootstrap_index_task.delay(run.pk)
    messages.success(request, _("The bootstrap (%(n)s replicates) is running on the workers.")
                     % {"n": run.replicates})
    return redirect("scoring:precision", index=idx.code)


@require_POST
@staff_required(*REVIEWERS)
def start_weights(request: HttpRequest, index: str) -> HttpResponse:
    idx = _index(index)
    if idx.kind != IndexKind.SIPAS:
        messages.error(request, _("Survey weights apply to SIPAS indices."))
        return redirect("scoring:precision", index=idx.code)
    compute_weights_task.delay(idx.pk)
    messages.success(request, _("The survey weights are being computed."))
    return redirect("scoring:precision", index=idx.code)


class SensitivityForm(forms.Form):
    variation = forms.IntegerField(label=gettext_lazy("Vary each area's weight by ± (%)"),
                                   min_value=0, max_value=90, initial=20)
    draws = forms.IntegerField(label=gettext_lazy("Draws"), min_value=10,
                               max_value=sensitivity.MAX_DRAWS, initial=1000)
    seed = forms.IntegerField(label=gettext_lazy("Seed"), min_value=0, max_value=2**31 - 1,
                              initial=1)


# The method in each language; the two files correspond heading by heading. The works in
# the Vietnamese file's references are cited by their English titles.
METHOD_DOCUMENTS = {"vi": settings.BASE_DIR / "docs" / "uncertainty.vi.md",
                    "en": settings.BASE_DIR / "docs" / "uncertainty.md"}
METHOD_REFERENCES = {"vi": "Tài liệu tham khảo"}


def _method_html(language: str) -> str:
    """The method document as HTML, its code and its English citations marked as such."""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = renderer.parse(METHOD_DOCUMENTS[language].read_text(encoding="utf-8"))
    references = False
    for token, following in zip(tokens, tokens[1:] + [None], strict=True):
        # Code names, commands and printed output stay as written whatever a browser
        # translates (an indented block carries it on its <pre>, which the code inherits).
        if token.type in ("fence", "code_block"):
            token.attrSet("translate", "no")
        for child in token.children or ():
            if child.type == "code_inline":
                child.attrSet("translate", "no")
        if token.type == "heading_open":
            references = following.content == METHOD_REFERENCES.get(language)
        elif references and token.type == "bullet_list_open":
            token.attrSet("lang", "en")
    return renderer.renderer.render(tokens, renderer.options, {})


@staff_required(*ALL_STAFF)
def uncertainty_method(request: HttpRequest) -> HttpResponse:
    """The method behind the intervals, groups, weights and flags, in the reader's language."""
    language = "en" if get_language() == "en" else "vi"
    return render(request, "scoring/uncertainty_method_staff.html", {
        "body": mark_safe(_method_html(language)),  # noqa: S308 - raw HTML in the file is escaped
        "document_language": language, "other_language": "vi" if language == "en" else "en"})


@staff_required(*REVIEWERS)
def sensitivity_page(request: HttpRequest, index: str) -> HttpResponse:
    """How far the ranks move when the area weights vary (Monte Carlo, as COINr does)."""
    idx = _index(index)
    form = SensitivityForm(request.GET or None)
    result = rows = chart = None
    provinces, areas, matrix, weights = precision.area_percents(idx)
    if form.is_valid() and len(provinces) > 1:
        result = sensitivity.weight_sensitivity(
            matrix, weights, variation=form.cleaned_data["variation"] / 100,
            draws=form.cleaned_data["draws"], seed=form.cleaned_data["seed"], scale=1.0)
        names = {p.code: p.name for p in idx.province_set.provinces.all()}
        ranked = sorted(zip(provinces, result.provinces, strict=True),
                        key=lambda pair: (pair[1].nominal_rank, pair[0]))
        rows = [(code, names[code], s) for code, s in ranked]
        chart = charts.intervals(
            [(f"{s.nominal_rank}. {name}", s.median_rank, s.low_rank, s.high_rank)
             for _code, name, s in rows],
            title=_("%(index)s: each province's rank under varying weights (median and "
                    "5–95%% range)") % {"index": idx.title}, unit=_("rank"))
    return render(request, "scoring/sensitivity_reviewer.html", {
        "index": idx, "form": form, "result": result, "rows": rows, "areas": areas,
        "weights": weights, "chart": chart if result else None})


# --- the index audit ------------------------------------------------------------------------

SCENARIOS_COMPARED = 6
SCENARIO_MESSAGES = {
    ScenarioProblem.NO_NAME: gettext_lazy("Give the scenario a name (at most 120 characters)."),
    ScenarioProblem.DUPLICATE: gettext_lazy("A scenario of that name exists already: choose "
                                            "another name."),
    ScenarioProblem.BAD_WEIGHTS: gettext_lazy("Every area needs a weight of 0 or more, and "
                                              "one at least above 0."),
    ScenarioProblem.UNKNOWN_CRITERION: gettext_lazy("That criterion is not in this index."),
}


def _nominal(data: index_audit_reads.AuditData) -> dict[str, Decimal]:
    return {code: Decimal(w.numerator) / Decimal(w.denominator)
            for code, w in data.nominal_weights().items()}


def _what_if_form(request, data: index_audit_reads.AuditData, source) -> WhatIfForm:
    return WhatIfForm(source, areas=data.areas, criteria=data.criteria,
                      nominal=_nominal(data))


def _scenario_result(data, weights: dict[str, Decimal], dropped: list[str]):
    return index_audit_reads.what_if(
        data, weights={k: Fraction(v) for k, v in weights.items()}, dropped=frozenset(dropped))


def _explorer_asked(request) -> bool:
    return any(key.startswith("w-") for key in request.GET)


@staff_required(*REVIEWERS)
def index_audit_page(request: HttpRequest, index: str) -> HttpResponse:
    """The index audit (coverage, coherence, effective weights, years) and the what-if
    explorer, on the latest published version or, with ?version=current, the current results."""
    idx = _index(index)
    publication = _publication(request, idx)
    data = index_audit_reads.audit_data(idx, publication=publication)
    audit = index_audit_reads.index_audit_of(idx, data=data)
    form = _what_if_form(request, data, request.GET if _explorer_asked(request) else None)
    result = None
    if form.is_bound and form.is_valid():
        result = _scenario_result(data, form.weights(), form.dropped())
    saved = index_audit_reads.scenarios(idx)
    compared = [(s, _scenario_result(data, {k: Decimal(v) for k, v in s.weights.items()},
                                     s.dropped)) for s in saved[:SCENARIOS_COMPARED]]
    scenario_ranks = [{r.province: r.rank for r in res.rows} for _s, res in compared]
    ranks_by_scenario = {p: [ranks.get(p) for ranks in scenario_ranks] for p in data.provinces}
    names = audit.names
    heatmap = charts.heatmap(audit.matrix_codes, audit.matrix, names=names, title=_(
        "%(index)s: correlation between criteria across provinces (Pearson)") % {
        "index": idx.title}) if audit.compared >= 3 else None
    query = request.GET.urlencode()
    return render(request, "scoring/index_audit_reviewer.html", {
        "index": idx, "publication": publication, "data": data, "audit": audit, "names": names,
        "heatmap": heatmap, "form": form, "result": result, "saved": saved,
        "compared": compared, "comparison": [
            (code, data.provinces[code], data.ranks.get(code), ranks_by_scenario[code])
            for code in sorted(data.provinces, key=lambda c: (data.ranks.get(c) is None,
                                                              data.ranks.get(c) or 0, c))],
        "weight_fields": [form[f"w-{a.code}"] for a in data.areas],
        "thresholds": {"coverage": int(index_audit.COVERAGE_MIN * 100),
                       "redundant": index_audit.REDUNDANT_ABOVE},
        "query": f"?{query}" if query else "",
        "version_value": request.GET.get("version", ""),
    })


@require_POST
@staff_required(*REVIEWERS)
def index_audit_save(request: HttpRequest, index: str) -> HttpResponse:
    """Save the explorer's weights and left-out criterion as a named scenario (audited)."""
    idx = _index(index)
    data = index_audit_reads.audit_data(idx, levels=index_audit_reads.WHAT_IF_LEVELS)
    form = _what_if_form(request, data, request.POST)
    back = reverse("scoring:index-audit", args=[idx.code])
    if not form.is_valid():
        messages.error(request, _("The scenario was not saved: %(errors)s") % {
            "errors": " ".join(str(e) for errors in form.errors.values() for e in errors)})
        return redirect(back)
    try:
        scenario = save_scenario(index=idx, name=form.cleaned_data["name"],
                                 weights=form.weights(), dropped=form.dropped(),
                                 user=request.user)
    except ScenarioRefused as refused:
        messages.error(request, SCENARIO_MESSAGES[refused.problem])
        return redirect(back)
    messages.success(request, _("Scenario %(name)s saved.") % {"name": scenario.name})
    return redirect(back + "#scenarios")


@staff_required(*REVIEWERS)
def index_audit_download(request: HttpRequest, index: str, fmt: str) -> HttpResponse:
    """The audit as CSV (long form) or XLSX (a sheet per check), with the explorer's scenario
    when the address carries one; audited like every download."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    idx = _index(index)
    publication = _publication(request, idx)
    data = index_audit_reads.audit_data(idx, publication=publication)
    audit = index_audit_reads.index_audit_of(idx, data=data)
    scenario = None
    if _explorer_asked(request):
        form = _what_if_form(request, data, request.GET)
        if form.is_valid():
            scenario = _scenario_result(data, form.weights(), form.dropped())
    tables = audit_tables(audit, scenario=scenario)
    version = f"v{publication.version}" if publication else "current"
    record_event(user=request.user, action=AuditEvent.Action.DOWNLOAD, index=idx.code,
                 level="index_audit", format=fmt, version=version,
                 rows=sum(len(t.rows) for t in tables), provinces="all")
    name = f"{idx.code}-index-audit-{version}.{fmt}"
    return attachment(audit_workbook(tables) if fmt == "xlsx" else audit_csv(tables), name)
