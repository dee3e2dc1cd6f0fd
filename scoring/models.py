"""Scoring models: index definitions, assessments, answer tallies and stored results."""

from collections.abc import Mapping
from decimal import Decimal
from enum import Enum

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _

from scoring.rules.vocabulary import IndexKind, Level, Method, Rule
from surveys.models import Bilingual, Province, ProvinceSet, Question


def local_time(moment) -> str:
    """A stored moment as the staff read it: local time, day first."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M:%S") if moment else "—"


def choices_for(vocabulary: type[Enum], labels: Mapping) -> list[tuple]:
    """Model choices for every member of a vocabulary enum (scoring.rules.vocabulary), in its order.

    The stored values are the members' plain values, so the migration state is
    the one the former TextChoices gave; a member without a label fails at import.
    """
    return [(member.value, labels[member]) for member in vocabulary]


class Index(Bilingual, models.Model):
    """One index definition for one year (several may share a kind and year)."""

    code = models.SlugField(verbose_name=_("code"), max_length=64, unique=True)
    kind = models.CharField(verbose_name=_("kind"), max_length=8, choices=choices_for(IndexKind, {
        IndexKind.PAR: _("PAR Index"),
        IndexKind.SIPAS: _("SIPAS"),
    }))
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    previous_code = models.SlugField(verbose_name=_("previous index"), max_length=64, blank=True)
    title_vi = models.CharField(verbose_name=_("title (Vietnamese)"), max_length=300)
    title_en = models.CharField(verbose_name=_("title (English)"), max_length=300)
    total_points = models.DecimalField(verbose_name=_("total points"), max_digits=8,
                                       decimal_places=2, null=True, blank=True)
    groups = models.JSONField(verbose_name=_("groups"), default=list, blank=True)
    province_set = models.ForeignKey(ProvinceSet, verbose_name=_("province set"),
                                     on_delete=models.PROTECT, related_name="indices")
    definition = models.JSONField(verbose_name=_("definition"))
    checksum = models.CharField(verbose_name=_("checksum"), max_length=64)
    loaded_at = models.DateTimeField(verbose_name=_("loaded at"), auto_now=True)

    class Meta:
        verbose_name = _("index")
        verbose_name_plural = _("indices")
        ordering = ["-year", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return self._pick("title")


LEVEL_LABELS = {
    "area": _("areas"), "criterion": _("criteria"), "component": _("components"),
    "part": _("parts"), "element": _("elements"), "item": _("items"), "total": _("totals"),
}


class Node(Bilingual, models.Model):
    """A node of an index tree; each index has one root (level 0, empty code)."""

    index = models.ForeignKey(Index, verbose_name=_("index"), on_delete=models.CASCADE,
                              related_name="nodes")
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="children"
    )
    level = models.PositiveSmallIntegerField(verbose_name=_("level"), choices=choices_for(Level, {
        Level.TOTAL: _("Total"),
        Level.FIRST: _("Area / part"),
        Level.SECOND: _("Criterion / element"),
        Level.LEAF: _("Component / item"),
    }))
    code = models.CharField(verbose_name=_("code"), max_length=32, blank=True)
    name_vi = models.CharField(verbose_name=_("name (Vietnamese)"), max_length=400, blank=True)
    name_en = models.CharField(verbose_name=_("name (English)"), max_length=400, blank=True)
    max_points = models.DecimalField(verbose_name=_("maximum points"), max_digits=8,
                                     decimal_places=2, null=True, blank=True)
    method = models.CharField(verbose_name=_("method"), max_length=16, blank=True,
                              choices=choices_for(Method, {
                                  Method.APPRAISAL: _("Appraisal"),
                                  Method.SURVEY: _("Survey"),
                              }))
    rule = models.CharField(verbose_name=_("rule"), max_length=16, blank=True,
                            choices=choices_for(Rule, {
                                Rule.SCALED_MEAN: _("Scaled mean"),
                                Rule.TOP_BOX: _("Top box"),
                                Rule.OPTION_FRACTION: _("Option fraction"),
                            }))
    threshold = models.IntegerField(verbose_name=_("threshold"), null=True, blank=True)
    fractions = models.JSONField(verbose_name=_("fraction per option"), default=dict, blank=True)
    position = models.PositiveIntegerField(verbose_name=_("position"))

    class Meta:
        verbose_name = _("index node")
        verbose_name_plural = _("index nodes")
        ordering = ["index", "position"]
        constraints = [
            models.UniqueConstraint(fields=["index", "code"], name="node_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()

    @property
    def name(self) -> str:
        return self._pick("name")


class Source(models.Model):
    """A survey question feeding a survey component (or a SIPAS item), with its weight."""

    node = models.ForeignKey(Node, verbose_name=_("component or item"), on_delete=models.CASCADE,
                             related_name="sources")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.PROTECT,
                                 related_name="sources")
    weight = models.DecimalField(verbose_name=_("weight"), max_digits=8, decimal_places=4,
                                 default=1)

    class Meta:
        verbose_name = _("survey source")
        verbose_name_plural = _("survey sources")
        constraints = [
            models.UniqueConstraint(fields=["node", "question"], name="source_unique_question"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="source_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.node_id} <- {self.question_id} x {self.weight}"


class Assessment(models.Model):
    """A province's self-assessed and appraised score for one appraisal component."""

    index = models.ForeignKey(Index, verbose_name=_("index"), on_delete=models.PROTECT,
                              related_name="assessments")
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.PROTECT,
                                 related_name="assessments")
    node = models.ForeignKey(Node, verbose_name=_("component"), on_delete=models.PROTECT,
                             related_name="assessments")
    self_score = models.DecimalField(verbose_name=_("self-assessed score"), max_digits=8,
                                     decimal_places=2, null=True, blank=True)
    appraised_score = models.DecimalField(verbose_name=_("appraised score"), max_digits=8,
                                          decimal_places=2, null=True, blank=True)
    evidence = models.TextField(verbose_name=_("evidence"), blank=True)
    comment = models.TextField(verbose_name=_("comment"), blank=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["index", "province", "node"], name="assessment_unique_component"
            ),
            models.CheckConstraint(
                condition=Q(self_score__isnull=True) | Q(self_score__gte=0),
                name="assessment_self_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(appraised_score__isnull=True) | Q(appraised_score__gte=0),
                name="assessment_appraised_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node.code} · {self.province.name}"


CHANGED_FIELDS = {"self_score": _("self-assessed score"), "appraised_score": _("appraised score"),
                  "evidence": _("evidence"), "comment": _("comment")}


class AssessmentChange(models.Model):
    """History: every change of a score or of its note (evidence, comment), who made it and how.

    Scores keep their old and new value in `old_value`/`new_value`, notes in
    `old_text`/`new_text`.
    """

    assessment = models.ForeignKey(Assessment, verbose_name=_("assessment"),
                                   on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(verbose_name=_("what changed"), max_length=16)
    old_value = models.DecimalField(verbose_name=_("old score"), max_digits=8, decimal_places=2,
                                    null=True, blank=True)
    new_value = models.DecimalField(verbose_name=_("new score"), max_digits=8, decimal_places=2,
                                    null=True, blank=True)
    old_text = models.TextField(verbose_name=_("old note"), blank=True)
    new_text = models.TextField(verbose_name=_("new note"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessment_changes",
    )
    via = models.CharField(verbose_name=_("via"), max_length=32)
    changed_at = models.DateTimeField(verbose_name=_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment change")
        verbose_name_plural = _("assessment changes")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        label = CHANGED_FIELDS.get(self.field, self.field)
        if self.field in ("self_score", "appraised_score"):
            old, new = (formats.localize(v) if v is not None else "—"
                        for v in (self.old_value, self.new_value))
        else:
            old, new = (f"«{Truncator(t).chars(40)}»" for t in (self.old_text, self.new_text))
        return f"{capfirst(label)}: {old} → {new}"


class AnswerTally(models.Model):
    """How many counted submissions of a province gave `value` to `question`."""

    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.CASCADE,
                                 related_name="tallies")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE,
                                 related_name="tallies")
    value = models.IntegerField(verbose_name=_("answer value"))
    count = models.BigIntegerField(verbose_name=_("count"))

    class Meta:
        verbose_name = _("answer tally")
        verbose_name_plural = _("answer tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "question", "value"], name="answertally_unique_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province_id}:{self.question_id}={self.value} x{self.count}"


class Recompute(models.Model):
    """A record of one recompute of an index: when, for which provinces, from which inputs."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    index = models.ForeignKey(Index, verbose_name=_("index"), on_delete=models.CASCADE,
                              related_name="recomputes")
    full = models.BooleanField(verbose_name=_("full recompute"), default=False)
    provinces = models.JSONField(verbose_name=_("provinces"), default=list)
    status = models.CharField(verbose_name=_("status"), max_length=8, choices=Status.choices,
                              default=Status.RUNNING)
    progress = models.PositiveSmallIntegerField(verbose_name=_("progress"), default=0)
    inputs = models.JSONField(verbose_name=_("inputs"), default=dict)
    started_at = models.DateTimeField(verbose_name=_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recompute")
        verbose_name_plural = _("recomputes")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.index.code} {local_time(self.started_at)} ({self.get_status_display()})"


class PendingRefresh(models.Model):
    """An index's results for one province that a change has made stale.

    Written in the same transaction as the change (a fold, an exclusion, a score),
    cleared in the same transaction as the refresh that brings them up to date, so a
    failure between the two leaves the row behind for the next refresh or the sweep.
    `version` goes up with every change, so a refresh clears only what it has seen.
    """

    index = models.ForeignKey(Index, verbose_name=_("index"), on_delete=models.CASCADE,
                              related_name="pending_refreshes")
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.CASCADE,
                                 related_name="+")
    version = models.PositiveIntegerField(verbose_name=_("version"), default=1)

    class Meta:
        verbose_name = _("pending refresh")
        verbose_name_plural = _("pending refreshes")
        constraints = [
            models.UniqueConstraint(fields=["index", "province"], name="pendingrefresh_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.index_id}:{self.province_id} v{self.version}"


class NodeResult(models.Model):
    """The stored result of one node for one province.

    Values are kept truncated to 12 decimals: rounding such a value half up to
    2 decimals gives exactly what rounding the exact rational value would. The
    exact values are kept too, as fractions, for differences between years.
    """

    index = models.ForeignKey(Index, verbose_name=_("index"), on_delete=models.CASCADE,
                              related_name="results")
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.CASCADE,
                                 related_name="results")
    node = models.ForeignKey(Node, verbose_name=_("index node"), on_delete=models.CASCADE,
                             related_name="results")
    points = models.DecimalField(verbose_name=_("points"), max_digits=24, decimal_places=12,
                                 null=True, blank=True)
    max_points = models.DecimalField(verbose_name=_("maximum points"), max_digits=8,
                                     decimal_places=2, null=True, blank=True)
    percent = models.DecimalField(verbose_name=_("percent"), max_digits=24, decimal_places=12,
                                  null=True, blank=True)
    points_exact = models.TextField(verbose_name=_("exact points"), blank=True,
                                    help_text=_("Exact value as a fraction n/d"))
    percent_exact = models.TextField(verbose_name=_("exact percent"), blank=True,
                                     help_text=_("Exact value as a fraction n/d"))
    flags = models.CharField(verbose_name=_("flags"), max_length=64, blank=True)
    valid_answers = models.BigIntegerField(verbose_name=_("valid answers"), default=0)
    # Not indexed: every refresh sets it, and a changed indexed column rules out PostgreSQL's
    # in-page (HOT) updates, which leave no dead row for vacuum (docs/performance.md).
    recompute = models.ForeignKey(
        Recompute, verbose_name=_("recompute"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="results", db_index=False,
    )
    computed_at = models.DateTimeField(verbose_name=_("computed at"))

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        constraints = [
            models.UniqueConstraint(
                fields=["index", "province", "node"], name="noderesult_unique_node"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.index_id}:{self.province_id}:{self.node_id}"


class Role(models.TextChoices):
    REVIEWER = "reviewer", _("Ministry reviewer")
    PROVINCE_OFFICER = "province_officer", _("Province officer")
    ADMINISTRATOR = "administrator", _("Administrator")
    ENTRY_SUPERVISOR = "entry_supervisor", _("Data-entry supervisor")
    ENTRY_OPERATOR = "entry_operator", _("Data-entry operator")
    ENUMERATOR = "enumerator", _("Enumerator")


# Roles that act for one province only, and so need one.
PROVINCE_ROLES = (Role.PROVINCE_OFFICER, Role.ENTRY_SUPERVISOR, Role.ENTRY_OPERATOR,
                  Role.ENUMERATOR)


class StaffRole(models.Model):
    """What a staff member may see and do: every province, or their own province only.

    An enumerator sees no staff page: they collect answers in their province (the
    offline app, `surveys.collect`) and nothing else.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE,
        related_name="staff_role"
    )
    role = models.CharField(verbose_name=_("role"), max_length=20, choices=Role.choices)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="officers"
    )

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=PROVINCE_ROLES) | Q(province__isnull=False),
                name="staffrole_officer_has_province",
                violation_error_message=_("This role needs a province."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Publication(models.Model):
    """A published version of an index's results: a frozen snapshot, never changed."""

    index = models.ForeignKey(Index, verbose_name=_("index"), on_delete=models.PROTECT,
                              related_name="publications")
    version = models.PositiveIntegerField(verbose_name=_("version"))
    published_at = models.DateTimeField(verbose_name=_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.SET_NULL,
        null=True, blank=True,
        related_name="publications",
    )
    note = models.TextField(verbose_name=_("note"), blank=True)
    withdrawn_at = models.DateTimeField(verbose_name=_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("withdrawn by"), on_delete=models.SET_NULL,
        null=True, blank=True,
        related_name="+",
    )
    withdraw_reason = models.TextField(verbose_name=_("reason for withdrawal"), blank=True)

    class Meta:
        verbose_name = _("published version")
        verbose_name_plural = _("published versions")
        ordering = ["index", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["index", "version"], name="publication_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.index.code} v{self.version}"


class PublishedFile(models.Model):
    """An export file of a publication, frozen when it was published (spec §10): the public
    downloads and `export_scores --version N` give these bytes."""

    publication = models.ForeignKey(Publication, verbose_name=_("published version"),
                                    on_delete=models.CASCADE, related_name="files")
    # a level (total, area, …) or total-intervals
    name = models.CharField(verbose_name=_("file"), max_length=32)
    content = models.TextField(verbose_name=_("content"))

    class Meta:
        verbose_name = _("published file")
        verbose_name_plural = _("published files")
        constraints = [
            models.UniqueConstraint(fields=["publication", "name"], name="publishedfile_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.publication} {self.name}"


class PublishedResult(models.Model):
    """One node's result as it was published."""

    publication = models.ForeignKey(Publication, verbose_name=_("published version"),
                                    on_delete=models.CASCADE, related_name="results")
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.PROTECT,
                                 related_name="+")
    node = models.ForeignKey(Node, verbose_name=_("index node"), on_delete=models.PROTECT,
                             related_name="+")
    points = models.DecimalField(verbose_name=_("points"), max_digits=24, decimal_places=12,
                                 null=True, blank=True)
    max_points = models.DecimalField(verbose_name=_("maximum points"), max_digits=24,
                                     decimal_places=12, null=True, blank=True)
    percent = models.DecimalField(verbose_name=_("percent"), max_digits=24, decimal_places=12,
                                  null=True, blank=True)
    points_exact = models.TextField(verbose_name=_("exact points"), blank=True)
    percent_exact = models.TextField(verbose_name=_("exact percent"), blank=True)
    flags = models.CharField(verbose_name=_("flags"), max_length=64, blank=True)
    valid_answers = models.BigIntegerField(verbose_name=_("valid answers"), default=0)

    class Meta:
        verbose_name = _("published result")
        verbose_name_plural = _("published results")
        constraints = [
            models.UniqueConstraint(fields=["publication", "province", "node"],
                                    name="publishedresult_unique_node"),
        ]

    def __str__(self) -> str:
        return f"{self.publication_id}:{self.province_id}:{self.node_id}"


class AuditEvent(models.Model):
    """Who did what, when: log-ins, role changes, appraisals, publishing, recomputes, downloads."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed log-in")
        LOGIN_LOCKED = "login_locked", _("Log-in refused while locked out")
        ROLE_CHANGED = "role_changed", _("Role changed")
        ACCOUNT_CHANGED = "account_changed", _("Account changed")
        SCORE_CHANGED = "score_changed", _("Score changed")
        NOTE_CHANGED = "note_changed", _("Note changed")
        PUBLISHED = "published", _("Results published")
        WITHDRAWN = "withdrawn", _("Published results withdrawn")
        RECOMPUTE = "recompute", _("Recompute started")
        DOWNLOAD = "download", _("Download")
        EXCLUDED = "excluded", _("Submission excluded")
        RESTORED = "restored", _("Submission restored")
        UNCERTAINTY = "uncertainty", _("Intervals computed")
        WEIGHTS = "weights", _("Survey weights computed")
        PAPER_BATCH = "paper_batch", _("Paper batch registered")
        PAPER_KEYED = "paper_keyed", _("Paper form keyed")
        PAPER_RESOLVED = "paper_resolved", _("Paper form resolved")
        SCENARIO = "scenario", _("What-if scenario saved")

    at = models.DateTimeField(verbose_name=_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.SET_NULL,
        null=True, blank=True,
        related_name="audit_events",
    )
    action = models.CharField(verbose_name=_("action"), max_length=16, choices=Action.choices)
    detail = models.JSONField(verbose_name=_("detail"), default=dict)
    address = models.GenericIPAddressField(
        verbose_name=_("network address"), null=True, blank=True,
        help_text=_("The staff member's network address (web only)"))
    count = models.PositiveIntegerField(
        verbose_name=_("times"), default=1,
        help_text=_("How many times it happened (refused log-ins of one lock-out)"))

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log entries")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{local_time(self.at)} {self.user or '—'} {self.get_action_display()}"


# --- the index audit ---------------------------------------------------------------------------

class AuditScenario(models.Model):
    """A named what-if of the index audit: other area weights, some criteria left out.

    Only the scenario is stored; its totals and ranks are computed from the stored
    results whenever it is shown, and no published or current result ever changes.
    """

    index = models.ForeignKey(Index, verbose_name=_("index"), on_delete=models.CASCADE,
                              related_name="audit_scenarios")
    name = models.CharField(verbose_name=_("name"), max_length=120)
    # area code -> weight as a decimal string (PAR: points; SIPAS: relative weight)
    weights = models.JSONField(verbose_name=_("area weights"), default=dict)
    dropped = models.JSONField(verbose_name=_("criteria left out"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saved by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(verbose_name=_("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("what-if scenario")
        verbose_name_plural = _("what-if scenarios")
        constraints = [
            models.UniqueConstraint(fields=["index", "name"], name="auditscenario_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.index.code}: {self.name}"


# --- data quality ---------------------------------------------------------------------------

class QualityFlag(models.Model):
    """A reason to doubt one submission (see scoring.rules.quality); reviewers decide what to do."""

    class Reason(models.TextChoices):
        SPEEDER = "speeder", _("Speeder")
        STRAIGHT_LINER = "straight_liner", _("Straight-liner")
        DUPLICATE = "duplicate", _("Near-duplicate")

    submission = models.ForeignKey("surveys.Submission", verbose_name=_("submission"),
                                   on_delete=models.CASCADE, related_name="quality_flags")
    reason = models.CharField(verbose_name=_("reason"), max_length=16, choices=Reason.choices)
    detail = models.CharField(verbose_name=_("detail"), max_length=200, blank=True)
    facts = models.JSONField(verbose_name=_("figures"), default=dict, blank=True,
                             help_text=_("The figures behind the detail, to show it in words"))
    found_at = models.DateTimeField(verbose_name=_("found at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quality flag")
        verbose_name_plural = _("quality flags")
        constraints = [
            models.UniqueConstraint(fields=["submission", "reason"], name="qualityflag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}:{self.reason}"


# --- sampling uncertainty -------------------------------------------------------------------

class ResamplingDesign(models.TextChoices):
    RESPONDENTS = "respondents", _("respondents resampled within province and questionnaire")
    PSU = "psu", _("primary sampling units resampled within strata (Rao–Wu)")
    MIXED = "mixed", _("sampling units where recorded, respondents elsewhere (Rao–Wu)")


class UncertaintyRun(models.Model):
    """One bootstrap of an index: its seed and size, and its progress."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    index = models.ForeignKey(Index, verbose_name=_("index"), on_delete=models.CASCADE,
                              related_name="uncertainty_runs")
    seed = models.PositiveIntegerField(verbose_name=_("seed"))
    replicates = models.PositiveIntegerField(verbose_name=_("replicates"))
    # the order of values in each replicate
    node_codes = models.JSONField(verbose_name=_("node codes"), default=list)
    # What was resampled (scoring.rules.uncertainty): respondents, or PSUs (Rao–Wu) where recorded.
    design = models.CharField(verbose_name=_("resampling design"), max_length=12,
                              choices=ResamplingDesign.choices,
                              default=ResamplingDesign.RESPONDENTS)
    status = models.CharField(verbose_name=_("status"), max_length=8, choices=Status.choices,
                              default=Status.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.SET_NULL,
        null=True, blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(verbose_name=_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(verbose_name=_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bootstrap run")
        verbose_name_plural = _("bootstrap runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.index.code} bootstrap {self.pk} (seed {self.seed}, {self.replicates})"


class Replicate(models.Model):
    """One bootstrap replicate of one province: every survey-based node's value, as float64."""

    run = models.ForeignKey(UncertaintyRun, verbose_name=_("bootstrap run"),
                            on_delete=models.CASCADE, related_name="rows")
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.CASCADE,
                                 related_name="+")
    number = models.PositiveIntegerField(verbose_name=_("replicate number"))
    values = models.BinaryField(verbose_name=_("values"))

    class Meta:
        verbose_name = _("bootstrap replicate")
        verbose_name_plural = _("bootstrap replicates")
        constraints = [
            models.UniqueConstraint(fields=["run", "province", "number"],
                                    name="replicate_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.province_id}#{self.number}"


class IntervalMethod(models.TextChoices):
    BOOTSTRAP = "bootstrap", _("percentile bootstrap")
    WILSON = "wilson", _("Wilson score interval (small sample)")
    CENSUS = "census", _("census: every unit of the population answered")
    NONE = "none", _("no valid answer")


class Interval(models.Model):
    """The published 95 % interval of one node of one province (points for PAR, % for SIPAS).

    The percentile bootstrap, or the Wilson score interval where the node rests
    on a small sample (scoring.rules.uncertainty.published_interval).
    """

    run = models.ForeignKey(UncertaintyRun, verbose_name=_("bootstrap run"),
                            on_delete=models.CASCADE, related_name="intervals")
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.CASCADE,
                                 related_name="+")
    node = models.ForeignKey(Node, verbose_name=_("index node"), on_delete=models.CASCADE,
                             related_name="+")
    low = models.DecimalField(verbose_name=_("lower bound"), max_digits=16, decimal_places=6,
                              null=True)
    high = models.DecimalField(verbose_name=_("upper bound"), max_digits=16, decimal_places=6,
                               null=True)
    method = models.CharField(verbose_name=_("interval method"), max_length=10,
                              choices=IntervalMethod.choices, default=IntervalMethod.BOOTSTRAP)
    # The fewest valid answers to a survey item under the node
    # (scoring.rules.uncertainty.NodeSample).
    answers = models.PositiveIntegerField(verbose_name=_("valid answers"), default=0)
    # Monte Carlo standard error of each bootstrap endpoint; empty for a Wilson interval.
    mc_low = models.DecimalField(verbose_name=_("Monte Carlo error of the lower bound"),
                                 max_digits=16, decimal_places=6, null=True)
    mc_high = models.DecimalField(verbose_name=_("Monte Carlo error of the upper bound"),
                                  max_digits=16, decimal_places=6, null=True)

    class Meta:
        verbose_name = _("interval")
        verbose_name_plural = _("intervals")
        constraints = [
            models.UniqueConstraint(fields=["run", "province", "node"], name="interval_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.province_id}:{self.node_id} [{self.low}, {self.high}]"


class RankInterval(models.Model):
    """A province's median rank and 95 % rank interval (2.5th–97.5th percentile) over replicates."""

    run = models.ForeignKey(UncertaintyRun, verbose_name=_("bootstrap run"),
                            on_delete=models.CASCADE, related_name="ranks")
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.CASCADE,
                                 related_name="+")
    median = models.PositiveSmallIntegerField(verbose_name=_("median rank"))
    low = models.PositiveSmallIntegerField(verbose_name=_("2.5th percentile rank"))
    high = models.PositiveSmallIntegerField(verbose_name=_("97.5th percentile rank"))
    group = models.PositiveSmallIntegerField(verbose_name=_("group"))

    class Meta:
        verbose_name = _("rank interval")
        verbose_name_plural = _("rank intervals")
        constraints = [
            models.UniqueConstraint(fields=["run", "province"], name="rankinterval_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.province_id} rank {self.median} ({self.low}–{self.high})"


# --- survey weights -------------------------------------------------------------------------

class Margin(models.Model):
    """A population share of one category of a respondent question, in one province."""

    questionnaire = models.ForeignKey("surveys.Questionnaire", verbose_name=_("questionnaire"),
                                      on_delete=models.CASCADE, related_name="margins")
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.CASCADE,
                                 related_name="+")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE,
                                 related_name="+")
    value = models.IntegerField(verbose_name=_("answer value"))
    share = models.DecimalField(verbose_name=_("population share"), max_digits=10, decimal_places=8)

    class Meta:
        verbose_name = _("population margin")
        verbose_name_plural = _("population margins")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "province", "question", "value"],
                                    name="margin_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.province_id}:{self.question_id}={self.value} {self.share}"


class PopulationCount(models.Model):
    """How many people a questionnaire's respondents in a province are drawn from.

    For the finite-population correction of the bootstrap (scoring.rules.uncertainty):
    e.g. the province's department leaders, nearly all of whom answer.
    """

    questionnaire = models.ForeignKey("surveys.Questionnaire", verbose_name=_("questionnaire"),
                                      on_delete=models.CASCADE, related_name="population_counts")
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.CASCADE,
                                 related_name="+")
    count = models.PositiveIntegerField(verbose_name=_("population"))

    class Meta:
        verbose_name = _("population count")
        verbose_name_plural = _("population counts")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "province"],
                                    name="populationcount_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire_id}:{self.province_id} N={self.count}"


class WeightBounds(models.Model):
    """Limits on a questionnaire's survey weights, as multiples of the mean weight.

    Loaded with the margins (`load_margins --bounds LOWER,UPPER`): raking keeps
    every weight of a province within [lower, upper] × the province's mean
    weight, or refuses (scoring.rules.weighting.Bounds).
    """

    questionnaire = models.OneToOneField("surveys.Questionnaire", verbose_name=_("questionnaire"),
                                         on_delete=models.CASCADE, related_name="weight_bounds")
    lower = models.DecimalField(verbose_name=_("lowest weight (× the mean)"), max_digits=8,
                                decimal_places=4)
    upper = models.DecimalField(verbose_name=_("highest weight (× the mean)"), max_digits=8,
                                decimal_places=4)

    class Meta:
        verbose_name = _("weight bounds")
        verbose_name_plural = _("weight bounds")

    def __str__(self) -> str:
        return f"{self.questionnaire_id}: {self.lower:g}–{self.upper:g}"


class SurveyWeight(models.Model):
    """A submission's post-stratification weight (they average 1 within a province)."""

    submission = models.OneToOneField("surveys.Submission", verbose_name=_("submission"),
                                      on_delete=models.CASCADE, related_name="survey_weight")
    weight = models.DecimalField(verbose_name=_("weight"), max_digits=16, decimal_places=9)

    class Meta:
        verbose_name = _("survey weight")
        verbose_name_plural = _("survey weights")

    def __str__(self) -> str:
        return f"{self.submission_id} × {self.weight}"


class WeightedResult(models.Model):
    """An index total weighted to the population margins, with its precision."""

    index = models.ForeignKey(Index, verbose_name=_("index"), on_delete=models.CASCADE,
                              related_name="weighted_results")
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.CASCADE,
                                 related_name="+")
    weighted = models.DecimalField(verbose_name=_("weighted value"), max_digits=24,
                                   decimal_places=12, null=True)
    unweighted = models.DecimalField(verbose_name=_("unweighted value"), max_digits=24,
                                     decimal_places=12, null=True)
    respondents = models.PositiveIntegerField(verbose_name=_("respondents"))
    effective_size = models.DecimalField(verbose_name=_("effective size"), max_digits=14,
                                         decimal_places=2)
    sd = models.DecimalField(verbose_name=_("standard deviation"), max_digits=14, decimal_places=6,
                             null=True)
    margin_of_error = models.DecimalField(verbose_name=_("margin of error"), max_digits=14,
                                          decimal_places=6, null=True)
    # The weighted total's own 95 % interval: Rao–Wu replicates raked again to the margins.
    ci_low = models.DecimalField(verbose_name=_("lower end of the weighted total's interval"),
                                 max_digits=16, decimal_places=6, null=True)
    ci_high = models.DecimalField(verbose_name=_("upper end of the weighted total's interval"),
                                  max_digits=16, decimal_places=6, null=True)
    # Monte Carlo standard error of each end (scoring.rules.uncertainty.quantile_mc_error).
    mc_low = models.DecimalField(verbose_name=_("Monte Carlo error of the lower end"),
                                 max_digits=14, decimal_places=6, null=True)
    mc_high = models.DecimalField(verbose_name=_("Monte Carlo error of the upper end"),
                                  max_digits=14, decimal_places=6, null=True)
    # Replicates behind the interval, and those left out because their margins could not be
    # met (within the bounds) even with sparse categories merged.
    replicates = models.PositiveIntegerField(verbose_name=_("replicates used"), default=0)
    replicates_left_out = models.PositiveIntegerField(verbose_name=_("replicates left out"),
                                                      default=0)
    # The province's smallest and largest weight as multiples of its mean weight, and the
    # bounds they were raked within (none when unbounded; the widest, were its
    # questionnaires to have different ones).
    weight_low = models.DecimalField(verbose_name=_("smallest weight (× the mean)"),
                                     max_digits=12, decimal_places=4, null=True)
    weight_high = models.DecimalField(verbose_name=_("largest weight (× the mean)"),
                                      max_digits=12, decimal_places=4, null=True)
    bound_low = models.DecimalField(verbose_name=_("lowest weight (× the mean)"), max_digits=8,
                                    decimal_places=4, null=True)
    bound_high = models.DecimalField(verbose_name=_("highest weight (× the mean)"),
                                     max_digits=8, decimal_places=4, null=True)
    # Margin categories raked as one because the sample was too sparse to meet them apart:
    # [{"questionnaire", "question", "values", "respondents", "share"}] (scoring.rules.weighting).
    collapsed = models.JSONField(verbose_name=_("collapsed categories"), default=list, blank=True)
    computed_at = models.DateTimeField(verbose_name=_("computed at"))

    class Meta:
        verbose_name = _("weighted result")
        verbose_name_plural = _("weighted results")
        constraints = [
            models.UniqueConstraint(fields=["index", "province"], name="weightedresult_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.index_id}:{self.province_id} {self.weighted}"

    @property
    def design_effect(self) -> Decimal | None:
        """Kish's design effect of the weights, n / n_eff (1 when every weight is equal)."""
        if not self.effective_size:
            return None
        return Decimal(self.respondents) / self.effective_size
