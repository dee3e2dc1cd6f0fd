"""Collection models: provinces, questionnaires, submissions and their answers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Bilingual:
    """Mixin: `name`/`title`/`text` in the active language, Vietnamese first."""

    def _pick(self, stem: str) -> str:
        lang = (get_language() or "vi")[:2]
        value = getattr(self, f"{stem}_{lang}", "") if lang in ("vi", "en") else ""
        return value or getattr(self, f"{stem}_vi", "")


class ProvinceSet(models.Model):
    """The list of provinces in force for a span of years (63 until mid-2025, then 34)."""

    code = models.SlugField(verbose_name=_("code"), max_length=32, unique=True)
    name = models.CharField(verbose_name=_("name"), max_length=200)
    first_year = models.PositiveSmallIntegerField(verbose_name=_("first year"))
    last_year = models.PositiveSmallIntegerField(verbose_name=_("last year"), null=True, blank=True)

    class Meta:
        verbose_name = _("province set")
        verbose_name_plural = _("province sets")
        ordering = ["first_year"]

    def __str__(self) -> str:
        return self.name


class Province(Bilingual, models.Model):
    province_set = models.ForeignKey(
        ProvinceSet, verbose_name=_("province set"), on_delete=models.PROTECT,
        related_name="provinces"
    )
    code = models.CharField(verbose_name=_("code"), max_length=8, help_text=_("GSO code, e.g. 74"))
    name_vi = models.CharField(verbose_name=_("name (Vietnamese)"), max_length=120)
    name_en = models.CharField(verbose_name=_("name (English)"), max_length=120)
    region_code = models.CharField(verbose_name=_("region code"), max_length=16)
    region_vi = models.CharField(verbose_name=_("region (Vietnamese)"), max_length=120)
    region_en = models.CharField(verbose_name=_("region (English)"), max_length=120)
    successor = models.CharField(verbose_name=_("unit from 2025"), max_length=120, blank=True,
                                 help_text=_("Unit joined in 2025"))

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["province_set", "code"]
        constraints = [
            models.UniqueConstraint(fields=["province_set", "code"], name="province_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_vi}"

    @property
    def name(self) -> str:
        return self._pick("name")

    @property
    def region(self) -> str:
        return self._pick("region")


class CrosswalkLink(models.Model):
    """The unit of a later set that a province of an earlier set became (spec §9).

    Every province of the earlier set has exactly one link to the later set; `weight`
    (e.g. its population) weighs it among the unit's predecessors, empty meaning that
    they all weigh the same.
    """

    source = models.ForeignKey(Province, verbose_name=_("earlier province"),
                               on_delete=models.PROTECT, related_name="successor_links")
    target = models.ForeignKey(Province, verbose_name=_("unit it became"), on_delete=models.PROTECT,
                               related_name="predecessor_links")
    target_set = models.ForeignKey(ProvinceSet, verbose_name=_("set of the unit"),
                                   on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(verbose_name=_("weight"), max_digits=20, decimal_places=6,
                                 null=True, blank=True)

    class Meta:
        verbose_name = _("crosswalk link")
        verbose_name_plural = _("crosswalk links")
        ordering = ["target_set", "target", "source"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target_set"],
                                    name="crosswalklink_one_successor"),
            models.CheckConstraint(condition=Q(weight__isnull=True) | Q(weight__gte=0),
                                   name="crosswalklink_weight_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"


class Audience(models.TextChoices):
    CITIZEN = "citizen", _("Citizens")
    OFFICIAL = "official", _("Officials")


# Names of the respondent groups of the bundled questionnaires, for pages and headers; a group
# not named here is shown by its questionnaire's title.
RESPONDENT_GROUPS = {
    "citizens": _("Citizens"),
    "dept-leaders": _("Leaders of provincial departments"),
    "district-leaders": _("District leaders"),
    "commune-leaders": _("Commune leaders"),
    "civil-servants": _("Civil servants"),
}


class SamplingUnits(models.TextChoices):
    """Whether a questionnaire's submissions carry their sampling unit and stratum."""

    NONE = "none", _("not recorded")
    OPTIONAL = "optional", _("recorded where known")
    REQUIRED = "required", _("required")


# A primary sampling unit or stratum: a commune or district code, a short label.
SAMPLING_LABEL = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"


class Questionnaire(Bilingual, models.Model):
    """One version of a questionnaire; frozen once it has submissions."""

    code = models.SlugField(verbose_name=_("code"), max_length=64, unique=True)
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    audience = models.CharField(verbose_name=_("audience"), max_length=16, choices=Audience.choices)
    respondent_group = models.SlugField(verbose_name=_("respondent group"), max_length=64)
    title_vi = models.CharField(verbose_name=_("title (Vietnamese)"), max_length=300)
    title_en = models.CharField(verbose_name=_("title (English)"), max_length=300)
    province_set = models.ForeignKey(
        ProvinceSet, verbose_name=_("province set"), on_delete=models.PROTECT,
        related_name="questionnaires"
    )
    definition = models.JSONField(verbose_name=_("definition"),
                                  help_text=_("The loaded file, as parsed"))
    checksum = models.CharField(verbose_name=_("checksum"), max_length=64)
    is_open = models.BooleanField(verbose_name=_("open"), default=True)
    closes_at = models.DateTimeField(
        verbose_name=_("closes at"), null=True, blank=True,
        help_text=_("After this moment no answer is accepted")
    )
    target_per_province = models.PositiveIntegerField(
        verbose_name=_("target per province"), default=0,
        help_text=_("Sample size wanted in each province (0: no target)")
    )
    # From the definition's `sampling_units`: whether submissions give `psu` and `stratum`.
    sampling_units = models.CharField(verbose_name=_("sampling units"), max_length=8,
                                      choices=SamplingUnits.choices, default=SamplingUnits.NONE)
    loaded_at = models.DateTimeField(verbose_name=_("loaded at"), auto_now=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["-year", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return self._pick("title")

    @property
    def respondent_group_name(self) -> str:
        return str(RESPONDENT_GROUPS.get(self.respondent_group, self.title))

    def accepts_answers(self, now) -> bool:
        """Open, and not past its closing time."""
        return self.is_open and (self.closes_at is None or now < self.closes_at)


class Scale(models.Model):
    """A named answer scale; inline option lists become a scale named after their question."""

    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE,
        related_name="scales"
    )
    code = models.CharField(verbose_name=_("code"), max_length=64)

    class Meta:
        verbose_name = _("answer scale")
        verbose_name_plural = _("answer scales")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="scale_unique_code"),
        ]

    def __str__(self) -> str:
        return self.code


class ScaleOption(Bilingual, models.Model):
    scale = models.ForeignKey(Scale, verbose_name=_("answer scale"), on_delete=models.CASCADE,
                              related_name="options")
    value = models.IntegerField(verbose_name=_("value"))
    label_vi = models.CharField(verbose_name=_("label (Vietnamese)"), max_length=300)
    label_en = models.CharField(verbose_name=_("label (English)"), max_length=300)
    substantive = models.BooleanField(verbose_name=_("counts as an answer"), default=True)
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))

    class Meta:
        verbose_name = _("scale option")
        verbose_name_plural = _("scale options")
        ordering = ["scale", "position"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "value"], name="scaleoption_unique_value"),
        ]

    def __str__(self) -> str:
        return f"{self.value} {self.label_vi}"

    @property
    def label(self) -> str:
        return self._pick("label")


class Section(Bilingual, models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE,
        related_name="sections"
    )
    code = models.CharField(verbose_name=_("code"), max_length=32)
    title_vi = models.CharField(verbose_name=_("title (Vietnamese)"), max_length=300)
    title_en = models.CharField(verbose_name=_("title (English)"), max_length=300)
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))

    class Meta:
        verbose_name = _("questionnaire section")
        verbose_name_plural = _("questionnaire sections")
        ordering = ["questionnaire", "position"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="section_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        return self._pick("title")


class QuestionType(models.TextChoices):
    SCALE = "scale", _("Scale")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    NUMBER = "number", _("Number")
    TEXT = "text", _("Text")


CHOICE_TYPES = (QuestionType.SCALE, QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE)


class Question(Bilingual, models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE,
        related_name="questions"
    )
    section = models.ForeignKey(Section, verbose_name=_("section"), on_delete=models.CASCADE,
                                related_name="questions")
    code = models.CharField(verbose_name=_("code"), max_length=32)
    text_vi = models.TextField(verbose_name=_("text (Vietnamese)"))
    text_en = models.TextField(verbose_name=_("text (English)"))
    type = models.CharField(verbose_name=_("type"), max_length=16, choices=QuestionType.choices)
    scale = models.ForeignKey(
        Scale, verbose_name=_("answer scale"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="questions"
    )
    required = models.BooleanField(verbose_name=_("required"), default=False)
    show_if_question = models.CharField(verbose_name=_("shown if question"), max_length=32,
                                        blank=True)
    show_if_values = models.JSONField(verbose_name=_("shown if its answer is"), default=list,
                                      blank=True)
    min_value = models.DecimalField(verbose_name=_("minimum"), max_digits=14, decimal_places=4,
                                    null=True, blank=True)
    max_value = models.DecimalField(verbose_name=_("maximum"), max_digits=14, decimal_places=4,
                                    null=True, blank=True)
    max_length = models.PositiveIntegerField(verbose_name=_("maximum length"), default=2000)
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["questionnaire", "position"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="question_unique_code"),
            models.CheckConstraint(
                condition=Q(scale__isnull=False) | ~Q(type__in=CHOICE_TYPES),
                name="question_choice_has_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire.code}:{self.code}"

    @property
    def text(self) -> str:
        return self._pick("text")


class Submission(models.Model):
    """One completed questionnaire. Holds no personal identifier of the respondent.

    `key` is the client-made idempotency key (CSV `submission_id`, API
    `submission_id`); `content_hash` tells an identical resend from a conflicting one.
    `counted_at` is set, in the same transaction, when its answers are folded into
    the tallies; the sweep folds every submission where it is still empty.
    """

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        API = "api", _("API")
        IMPORT = "import", _("CSV import")
        PAPER = "paper", _("Paper form")
        DEMO = "demo", _("Demo data")
        OFFLINE = "offline", _("Offline app")

    key = models.CharField(verbose_name=_("submission key"), max_length=64, unique=True)
    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.PROTECT,
        related_name="submissions"
    )
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.PROTECT,
                                 related_name="submissions")
    channel = models.CharField(verbose_name=_("channel"), max_length=8, choices=Channel.choices)
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), null=True, blank=True)
    received_at = models.DateTimeField(verbose_name=_("received at"), auto_now_add=True)
    content_hash = models.CharField(verbose_name=_("content hash"), max_length=64)
    receipt = models.CharField(verbose_name=_("receipt code"), max_length=16, unique=True,
                               null=True, blank=True)
    excluded = models.BooleanField(verbose_name=_("excluded"), default=False)
    duration_seconds = models.PositiveIntegerField(
        verbose_name=_("duration (seconds)"), null=True, blank=True,
        help_text=_("Time from the first page to the final submit"))
    counted_at = models.DateTimeField(verbose_name=_("counted at"), null=True, blank=True)
    # The sample design (scoring.rules.uncertainty.Stratum): the primary sampling unit the
    # respondent was drawn in (e.g. a commune code) and its stratum; empty when not recorded.
    psu = models.CharField(verbose_name=_("primary sampling unit"), max_length=32, blank=True,
                           default="", db_default="")
    stratum = models.CharField(verbose_name=_("sampling stratum"), max_length=32, blank=True,
                               default="", db_default="")

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        indexes = [
            models.Index(fields=["questionnaire", "province"], name="submission_q_province"),
            models.Index(
                fields=["received_at"],
                condition=Q(counted_at__isnull=True),
                name="submission_uncounted",
            ),
            models.Index(fields=["content_hash"], name="submission_content_hash"),
        ]

    def __str__(self) -> str:
        return self.key


class Answer(models.Model):
    """One answer value: choice answers in `option_value` (one row per chosen option)."""

    submission = models.ForeignKey(Submission, verbose_name=_("submission"),
                                   on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.PROTECT,
                                 related_name="answers")
    option_value = models.IntegerField(verbose_name=_("chosen option"), null=True, blank=True)
    number_value = models.DecimalField(verbose_name=_("number answered"), max_digits=14,
                                       decimal_places=4, null=True, blank=True)
    text_value = models.TextField(verbose_name=_("text answered"), blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "question", "option_value"], name="answer_unique_option"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}:{self.question_id}"


class AccessCode(models.Model):
    """A one-time code (e.g. printed on a dossier receipt) admitting one submission.

    Once staff generate codes for a questionnaire and province, its public link
    asks for one. Only the code's hash is kept, and nothing links a code to the
    submission it admitted: it keeps whether it was used, never when (docs/privacy.md).
    """

    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE,
        related_name="access_codes"
    )
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.CASCADE,
                                 related_name="access_codes")
    code_hash = models.CharField(verbose_name=_("code hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    used = models.BooleanField(verbose_name=_("used"), default=False)
    # The sampling unit and stratum every submission admitted by the code is given.
    psu = models.CharField(verbose_name=_("primary sampling unit"), max_length=32, blank=True,
                           default="", db_default="")
    stratum = models.CharField(verbose_name=_("sampling stratum"), max_length=32, blank=True,
                               default="", db_default="")

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [
            models.Index(fields=["questionnaire", "province"], name="accesscode_q_province"),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire.code} · {self.province.code} · {self.code_hash[:8]}"


class Invitation(models.Model):
    """An official's link to a questionnaire: used up on final submit, expires on closing.

    Only the token's hash is kept; the submission it produced is not linked, and the
    invitation keeps whether it was used, never when (docs/privacy.md).
    """

    questionnaire = models.ForeignKey(
        Questionnaire, verbose_name=_("questionnaire"), on_delete=models.CASCADE,
        related_name="invitations"
    )
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.CASCADE,
                                 related_name="invitations")
    token_hash = models.CharField(verbose_name=_("link hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(verbose_name=_("expires at"), null=True, blank=True)
    used = models.BooleanField(verbose_name=_("used"), default=False)
    # The sampling unit and stratum the submission made with the link is given.
    psu = models.CharField(verbose_name=_("primary sampling unit"), max_length=32, blank=True,
                           default="", db_default="")
    stratum = models.CharField(verbose_name=_("sampling stratum"), max_length=32, blank=True,
                               default="", db_default="")

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [
            models.Index(fields=["questionnaire", "province"], name="invitation_q_province"),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire.code} · {self.province.code} · {self.token_hash[:8]}"


class Draft(models.Model):
    """The answers an official has saved so far, resumable from any device with the link."""

    invitation = models.OneToOneField(Invitation, verbose_name=_("invitation"),
                                      on_delete=models.CASCADE, related_name="draft")
    submission_key = models.CharField(verbose_name=_("submission key"), max_length=64)
    answers = models.JSONField(verbose_name=_("answers"), default=dict)
    position = models.PositiveSmallIntegerField(verbose_name=_("page reached"), default=0)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")

    def __str__(self) -> str:
        return f"draft {self.invitation_id} at section {self.position}"


# --- paper forms: batches, double entry, reconciliation ---------------------------------------

class PaperBatch(models.Model):
    """Printed forms of one questionnaire that arrived together in a province's office.

    `serials` keeps the serial numbers as the supervisor typed them ("1001-1050, 1077");
    each serial is a `PaperForm` row, unique per questionnaire.
    """

    questionnaire = models.ForeignKey(Questionnaire, verbose_name=_("questionnaire"),
                                      on_delete=models.PROTECT, related_name="paper_batches")
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.PROTECT,
                                 related_name="paper_batches")
    serials = models.CharField(verbose_name=_("serial numbers"), max_length=2000)
    collected_by = models.CharField(verbose_name=_("collected by"), max_length=200)
    arrived_on = models.DateField(verbose_name=_("arrived on"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"),
                                      on_delete=models.PROTECT, related_name="paper_batches")
    registered_at = models.DateTimeField(verbose_name=_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("paper batch")
        verbose_name_plural = _("paper batches")
        ordering = ["-registered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.questionnaire.code} · {self.province.code} · {self.serials}"


class PaperForm(models.Model):
    """One printed form of a batch, by its serial number, and how far its keying has gone."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not yet keyed")
        KEYED_ONCE = "keyed_once", _("Keyed once")
        DISAGREE = "disagree", _("In disagreement")
        STORED = "stored", _("Stored")

    batch = models.ForeignKey(PaperBatch, verbose_name=_("batch"), on_delete=models.PROTECT,
                              related_name="forms")
    questionnaire = models.ForeignKey(Questionnaire, verbose_name=_("questionnaire"),
                                      on_delete=models.PROTECT, related_name="paper_forms")
    serial = models.PositiveIntegerField(verbose_name=_("serial number"))
    status = models.CharField(verbose_name=_("status"), max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    stored_at = models.DateTimeField(verbose_name=_("stored at"), null=True, blank=True)

    class Meta:
        verbose_name = _("paper form")
        verbose_name_plural = _("paper forms")
        ordering = ["batch", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "serial"],
                                    name="paperform_unique_serial"),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire_id}:{self.serial}"


class PaperKeying(models.Model):
    """One operator's typing of one paper form: the answers as cleaned, in JSON."""

    form = models.ForeignKey(PaperForm, verbose_name=_("paper form"), on_delete=models.CASCADE,
                             related_name="keyings")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("operator"),
                                 on_delete=models.PROTECT, related_name="paper_keyings")
    answers = models.JSONField(verbose_name=_("answers"), default=dict)
    started_at = models.DateTimeField(verbose_name=_("started at"), null=True, blank=True)
    keyed_at = models.DateTimeField(verbose_name=_("keyed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("keying")
        verbose_name_plural = _("keyings")
        ordering = ["form", "keyed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["form", "operator"],
                                    name="paperkeying_once_per_operator"),
        ]

    def __str__(self) -> str:
        return f"{self.form} by {self.operator_id}"


class PaperDifference(models.Model):
    """A question the two keyings of a form answered differently, and the paper's answer
    once the supervisor has read it (null until then; null answers mean "left blank")."""

    form = models.ForeignKey(PaperForm, verbose_name=_("paper form"), on_delete=models.CASCADE,
                             related_name="differences")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.PROTECT,
                                 related_name="paper_differences")
    first = models.JSONField(verbose_name=_("first keying"), null=True, blank=True)
    second = models.JSONField(verbose_name=_("second keying"), null=True, blank=True)

    class Meta:
        verbose_name = _("keying difference")
        verbose_name_plural = _("keying differences")
        constraints = [
            models.UniqueConstraint(fields=["form", "question"],
                                    name="paperdifference_one_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.form} {self.question_id}"


class PaperResolution(models.Model):
    """The supervisor's reading of the paper for a form whose keyings disagreed."""

    form = models.OneToOneField(PaperForm, verbose_name=_("paper form"),
                                on_delete=models.CASCADE, related_name="resolution")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"),
                                    on_delete=models.PROTECT, related_name="paper_resolutions")
    answers = models.JSONField(verbose_name=_("answers from the paper"), default=dict)
    resolved_at = models.DateTimeField(verbose_name=_("resolved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")

    def __str__(self) -> str:
        return f"{self.form} resolved"
