"""Scoring models: index definitions, assessments, answer tallies and stored results."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from surveys.models import Bilingual, Province, ProvinceSet, Question


class IndexKind(models.TextChoices):
    PAR = "par", _("PAR Index")
    SIPAS = "sipas", _("SIPAS")


class Index(Bilingual, models.Model):
    """One index definition for one year (several may share a kind and year)."""

    code = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=8, choices=IndexKind.choices)
    year = models.PositiveSmallIntegerField()
    previous_code = models.SlugField(max_length=64, blank=True)
    title_vi = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300)
    total_points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    groups = models.JSONField(default=list, blank=True)
    province_set = models.ForeignKey(ProvinceSet, on_delete=models.PROTECT, related_name="indices")
    definition = models.JSONField()
    checksum = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "indices"
        ordering = ["-year", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return self._pick("title")


class Level(models.IntegerChoices):
    """Depth in the tree; the names differ by kind (see LEVEL_NAMES)."""

    TOTAL = 0, _("Total")
    FIRST = 1, _("Area / part")
    SECOND = 2, _("Criterion / element")
    LEAF = 3, _("Component / item")


LEVEL_NAMES = {
    "par": {0: "total", 1: "area", 2: "criterion", 3: "component"},
    "sipas": {0: "total", 1: "part", 2: "element", 3: "item"},
}


LEVEL_LABELS = {
    "area": _("areas"), "criterion": _("criteria"), "component": _("components"),
    "part": _("parts"), "element": _("elements"), "item": _("items"), "total": _("totals"),
}


class Method(models.TextChoices):
    APPRAISAL = "appraisal", _("Appraisal")
    SURVEY = "survey", _("Survey")


class Rule(models.TextChoices):
    SCALED_MEAN = "scaled_mean", _("Scaled mean")
    TOP_BOX = "top_box", _("Top box")
    OPTION_FRACTION = "option_fraction", _("Option fraction")


class Node(Bilingual, models.Model):
    """A node of an index tree; each index has one root (level 0, empty code)."""

    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    code = models.CharField(max_length=32, blank=True)
    name_vi = models.CharField(max_length=400, blank=True)
    name_en = models.CharField(max_length=400, blank=True)
    max_points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    method = models.CharField(max_length=16, choices=Method.choices, blank=True)
    rule = models.CharField(max_length=16, choices=Rule.choices, blank=True)
    threshold = models.IntegerField(null=True, blank=True)
    fractions = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["index", "position"]
        constraints = [
            models.UniqueConstraint(fields=["index", "code"], name="node_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.index.code}:{self.code or 'total'}"

    @property
    def name(self) -> str:
        return self._pick("name")


class Source(models.Model):
    """A survey question feeding a survey component (or a SIPAS item), with its weight."""

    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="sources")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="sources")
    weight = models.DecimalField(max_digits=8, decimal_places=4, default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["node", "question"], name="source_unique_question"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="source_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.node_id} <- {self.question_id} x {self.weight}"


class Assessment(models.Model):
    """A province's self-assessed and appraised score for one appraisal component."""

    index = models.ForeignKey(Index, on_delete=models.PROTECT, related_name="assessments")
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="assessments")
    node = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="assessments")
    self_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    appraised_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    evidence = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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
        return f"{self.province_id}:{self.node_id} {self.self_score}/{self.appraised_score}"


class AssessmentChange(models.Model):
    """History: every change of a score or of its note (evidence, comment), who made it and how.

    Scores keep their old and new value in `old_value`/`new_value`, notes in
    `old_text`/`new_text`.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=16)
    old_value = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    new_value = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    old_text = models.TextField(blank=True)
    new_text = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessment_changes",
    )
    via = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} -> {self.new_value}"


class AnswerTally(models.Model):
    """How many counted submissions of a province gave `value` to `question`."""

    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="tallies")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="tallies")
    value = models.IntegerField()
    count = models.BigIntegerField()

    class Meta:
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

    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="recomputes")
    full = models.BooleanField(default=False)
    provinces = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    progress = models.PositiveSmallIntegerField(default=0)
    inputs = models.JSONField(default=dict)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.index_id} {self.status} {self.started_at:%Y-%m-%d %H:%M}"


class PendingRefresh(models.Model):
    """An index's results for one province that a change has made stale.

    Written in the same transaction as the change (a fold, an exclusion, a score),
    cleared in the same transaction as the refresh that brings them up to date, so a
    failure between the two leaves the row behind for the next refresh or the sweep.
    `version` goes up with every change, so a refresh clears only what it has seen.
    """

    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="pending_refreshes")
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
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

    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="results")
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="results")
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="results")
    points = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    max_points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    percent = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    points_exact = models.TextField(blank=True, help_text=_("Exact value as a fraction n/d"))
    percent_exact = models.TextField(blank=True, help_text=_("Exact value as a fraction n/d"))
    flags = models.CharField(max_length=64, blank=True)
    valid_answers = models.BigIntegerField(default=0)
    recompute = models.ForeignKey(
        Recompute, on_delete=models.SET_NULL, null=True, blank=True, related_name="results"
    )
    computed_at = models.DateTimeField()

    class Meta:
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


class StaffRole(models.Model):
    """What a staff member may see and do: every province, or their own province only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_role"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, related_name="officers"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="province_officer") | Q(province__isnull=False),
                name="staffrole_officer_has_province",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class Publication(models.Model):
    """A published version of an index's results: a frozen snapshot, never changed."""

    index = models.ForeignKey(Index, on_delete=models.PROTECT, related_name="publications")
    version = models.PositiveIntegerField()
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="publications",
    )
    note = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    withdraw_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["index", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["index", "version"], name="publication_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.index_id} v{self.version}"


class PublishedFile(models.Model):
    """An export file of a publication, frozen when it was published (spec §10): the public
    downloads and `export_scores --version N` give these bytes."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=32)  # a level (total, area, …) or total-intervals
    content = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "name"], name="publishedfile_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.publication} {self.name}"


class PublishedResult(models.Model):
    """One node's result as it was published."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="results")
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    node = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    max_points = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    percent = models.DecimalField(max_digits=24, decimal_places=12, null=True, blank=True)
    points_exact = models.TextField(blank=True)
    percent_exact = models.TextField(blank=True)
    flags = models.CharField(max_length=64, blank=True)
    valid_answers = models.BigIntegerField(default=0)

    class Meta:
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

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="audit_events",
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    detail = models.JSONField(default=dict)
    address = models.GenericIPAddressField(
        null=True, blank=True, help_text=_("The staff member's network address (web only)"))
    count = models.PositiveIntegerField(
        default=1, help_text=_("How many times it happened (refused log-ins of one lock-out)"))

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action}"


# --- data quality ---------------------------------------------------------------------------

class QualityFlag(models.Model):
    """A reason to doubt one submission (see scoring.quality); reviewers decide what to do."""

    class Reason(models.TextChoices):
        SPEEDER = "speeder", _("Speeder")
        STRAIGHT_LINER = "straight_liner", _("Straight-liner")
        DUPLICATE = "duplicate", _("Near-duplicate")

    submission = models.ForeignKey("surveys.Submission", on_delete=models.CASCADE,
                                   related_name="quality_flags")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    detail = models.CharField(max_length=200, blank=True)
    facts = models.JSONField(default=dict, blank=True,
                             help_text=_("The figures behind the detail, to show it in words"))
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "reason"], name="qualityflag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}:{self.reason}"


# --- sampling uncertainty -------------------------------------------------------------------

class UncertaintyRun(models.Model):
    """One bootstrap of an index: its seed and size, and its progress."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="uncertainty_runs")
    seed = models.PositiveIntegerField()
    replicates = models.PositiveIntegerField()
    node_codes = models.JSONField(default=list)  # the order of values in each replicate
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.index.code} bootstrap {self.pk} (seed {self.seed}, {self.replicates})"


class Replicate(models.Model):
    """One bootstrap replicate of one province: every survey-based node's value, as float64."""

    run = models.ForeignKey(UncertaintyRun, on_delete=models.CASCADE, related_name="rows")
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    values = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "province", "number"],
                                    name="replicate_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.province_id}#{self.number}"


class Interval(models.Model):
    """The 95 % bootstrap interval of one node of one province (points for PAR, % for SIPAS)."""

    run = models.ForeignKey(UncertaintyRun, on_delete=models.CASCADE, related_name="intervals")
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+")
    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="+")
    low = models.DecimalField(max_digits=16, decimal_places=6, null=True)
    high = models.DecimalField(max_digits=16, decimal_places=6, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "province", "node"], name="interval_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.province_id}:{self.node_id} [{self.low}, {self.high}]"


class RankInterval(models.Model):
    """A province's median rank and 5th–95th percentile rank over the bootstrap replicates."""

    run = models.ForeignKey(UncertaintyRun, on_delete=models.CASCADE, related_name="ranks")
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+")
    median = models.PositiveSmallIntegerField()
    low = models.PositiveSmallIntegerField()
    high = models.PositiveSmallIntegerField()
    group = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "province"], name="rankinterval_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.province_id} rank {self.median} ({self.low}–{self.high})"


# --- survey weights -------------------------------------------------------------------------

class Margin(models.Model):
    """A population share of one category of a respondent question, in one province."""

    questionnaire = models.ForeignKey("surveys.Questionnaire", on_delete=models.CASCADE,
                                      related_name="margins")
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    value = models.IntegerField()
    share = models.DecimalField(max_digits=10, decimal_places=8)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "province", "question", "value"],
                                    name="margin_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.province_id}:{self.question_id}={self.value} {self.share}"


class SurveyWeight(models.Model):
    """A submission's post-stratification weight (they average 1 within a province)."""

    submission = models.OneToOneField("surveys.Submission", on_delete=models.CASCADE,
                                      related_name="survey_weight")
    weight = models.DecimalField(max_digits=16, decimal_places=9)

    def __str__(self) -> str:
        return f"{self.submission_id} × {self.weight}"


class WeightedResult(models.Model):
    """An index total weighted to the population margins, with its precision."""

    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="weighted_results")
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="+")
    weighted = models.DecimalField(max_digits=24, decimal_places=12, null=True)
    unweighted = models.DecimalField(max_digits=24, decimal_places=12, null=True)
    respondents = models.PositiveIntegerField()
    effective_size = models.DecimalField(max_digits=14, decimal_places=2)
    sd = models.DecimalField(max_digits=14, decimal_places=6, null=True)
    margin_of_error = models.DecimalField(max_digits=14, decimal_places=6, null=True)
    # Margin categories raked as one because the sample was too sparse to meet them apart:
    # [{"questionnaire", "question", "values", "respondents", "share"}] (scoring.weighting).
    collapsed = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["index", "province"], name="weightedresult_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.index_id}:{self.province_id} {self.weighted}"
