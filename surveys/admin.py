"""Admin pages for provinces, questionnaires and submissions."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from surveys.distribution import code_rows, invitation_rows
from surveys.downloads import attachment
from surveys.models import (
    AccessCode,
    Invitation,
    Province,
    ProvinceSet,
    Question,
    Questionnaire,
    Section,
    Submission,
)
from surveys.spreadsheets import csv_text


def english_text(field: str, label):
    """A read-only admin column or field showing an English text as such (lang="en"), so that
    screen readers read it in English and the Vietnamese pages tell it from their own text."""

    @admin.display(description=label, ordering=field)
    def shown(self, obj):
        value = getattr(obj, field)
        return format_html('<span lang="en">{}</span>', value) if value else "-"

    return shown


class ViewOnlyAdmin(admin.ModelAdmin):
    """Shown in the admin, changed only by the services that keep tallies and audit right."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProvinceSet)
class ProvinceSetAdmin(ViewOnlyAdmin):
    """Sets and their provinces change only through `load_province_set`, which checks the whole
    file and refuses to change a set in use: an edit here would bypass both."""

    list_display = ["code", "name", "first_year", "last_year", "province_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_provinces=Count("provinces"))

    @admin.display(description=_("provinces"), ordering="_provinces")
    def province_count(self, obj):
        return obj._provinces


class RegionFilter(admin.SimpleListFilter):
    """Regions by their name in the page's language."""

    title = _("region")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        english = (get_language() or "vi")[:2] == "en"
        return [(code, (en if english else "") or vi) for code, vi, en in
                Province.objects.order_by("region_code")
                .values_list("region_code", "region_vi", "region_en").distinct()]

    def queryset(self, request, queryset):
        return queryset.filter(region_code=self.value()) if self.value() else queryset


@admin.register(Province)
class ProvinceAdmin(ViewOnlyAdmin):
    list_display = ["code", "name_vi", "name_en_shown", "region_shown", "successor",
                    "province_set"]
    list_filter = ["province_set", RegionFilter]
    search_fields = ["code", "name_vi", "name_en"]
    list_per_page = 100

    name_en_shown = english_text("name_en", _("name (English)"))

    @admin.display(description=_("region"), ordering="region_code")
    def region_shown(self, obj):
        return obj.region


class SectionInline(admin.TabularInline):
    model = Section
    fields = ["position", "code", "title_vi", "title_en_shown"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    title_en_shown = english_text("title_en", _("title (English)"))


class DistributionForm(forms.Form):
    provinces = forms.ModelMultipleChoiceField(
        queryset=Province.objects.none(), required=False, label=_("Provinces"),
        help_text=_("Leave empty for every province."))
    count = forms.IntegerField(min_value=1, max_value=10_000, initial=10,
                               label=_("How many per province"))

    def __init__(self, *args, questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provinces"].queryset = questionnaire.province_set.provinces.all()


class QuestionnaireForm(forms.ModelForm):
    """The closing time as one labelled date-and-time field (the admin's split date and time
    inputs have no label of their own)."""

    class Meta:
        model = Questionnaire
        fields = ["is_open", "closes_at"]
        widgets = {"closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                    format="%Y-%m-%dT%H:%M")}


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    form = QuestionnaireForm
    list_display = ["code", "year", "audience", "respondent_group_shown", "title_vi",
                    "question_count",
                    "is_open", "closes_at", "distribute"]
    list_filter = ["year", "audience"]
    readonly_fields = ["code", "year", "audience", "respondent_group_shown", "title_vi",
                       "title_en_shown", "province_set", "checksum", "loaded_at", "definition"]
    fields = ["code", "year", "audience", "respondent_group_shown", "title_vi",
              "title_en_shown", "province_set", "is_open", "closes_at", "checksum", "loaded_at"]
    inlines = [SectionInline]

    title_en_shown = english_text("title_en", _("title (English)"))

    @admin.display(description=_("respondent group"), ordering="respondent_group")
    def respondent_group_shown(self, obj):
        """The group's code as the questionnaire file names it (its title says who answers)."""
        return format_html('<code translate="no">{}</code>', obj.respondent_group)

    def get_urls(self):
        return [path("<int:pk>/distribute/", self.admin_site.admin_view(self.distribute_view),
                     name="surveys_questionnaire_distribute"), *super().get_urls()]

    @admin.display(description=_("links / codes"))
    def distribute(self, obj):
        label = _("Issue invitations") if obj.audience == "official" else \
            _("Generate one-time codes")
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:surveys_questionnaire_distribute", args=[obj.pk]),
                           label)

    def distribute_view(self, request, pk):
        """Issue invitation links (officials) or one-time codes (citizens) as a CSV download."""
        questionnaire = get_object_or_404(Questionnaire, pk=pk)
        if not self.has_change_permission(request, questionnaire):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = DistributionForm(request.POST or None, questionnaire=questionnaire)
        if request.method == "POST" and form.is_valid():
            provinces = list(form.cleaned_data["provinces"]) or \
                list(questionnaire.province_set.provinces.order_by("code"))
            make = invitation_rows if questionnaire.audience == "official" else code_rows
            header, rows = make(questionnaire, provinces, form.cleaned_data["count"])
            kind = "invitations" if questionnaire.audience == "official" else "codes"
            response = attachment(csv_text(header, rows), f"{questionnaire.code}-{kind}.csv")
            if questionnaire.audience == "official":
                issued = ngettext("%(n)s invitation link issued.",
                                  "%(n)s invitation links issued.", len(rows))
            else:
                issued = ngettext("%(n)s one-time code generated.",
                                  "%(n)s one-time codes generated.", len(rows))
            self.message_user(request, issued % {"n": len(rows)}, messages.SUCCESS)
            return response
        return render(request, "admin/surveys/distribute.html", {
            **self.admin_site.each_context(request), "form": form,
            "questionnaire": questionnaire, "opts": self.model._meta,
            "title": _("Issue invitations") if questionnaire.audience == "official"
            else _("Generate one-time codes"),
        })

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_questions=Count("questions"))

    @admin.display(description=_("questions"), ordering="_questions")
    def question_count(self, obj):
        return obj._questions


@admin.register(Question)
class QuestionAdmin(ViewOnlyAdmin):
    """Questions come from the loaded file (load_questionnaire), frozen once answered."""

    list_display = ["code", "questionnaire", "section", "type", "scale", "required",
                    "show_if_question"]
    list_filter = ["questionnaire", "type"]
    search_fields = ["code", "text_vi", "text_en"]
    list_select_related = ["questionnaire", "section", "scale"]
    fields = ["questionnaire", "section", "code", "text_vi", "text_en_shown", "type", "scale",
              "required", "show_if_question", "show_if_values", "min_value", "max_value",
              "max_length", "position"]
    readonly_fields = fields

    text_en_shown = english_text("text_en", _("text (English)"))


@admin.register(Submission)
class SubmissionAdmin(ViewOnlyAdmin):
    """Submissions are never edited here: an exclusion goes through the review pages'
    service, which takes the answers out of the tallies and audits the decision."""

    list_display = ["key", "questionnaire", "province", "channel", "submitted_at", "counted_at",
                    "excluded"]
    list_filter = ["questionnaire", "channel", "excluded"]
    list_select_related = ["questionnaire", "province"]
    show_full_result_count = False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["questionnaire", "province", "created_at", "expires_at", "used"]
    list_filter = ["questionnaire", "used"]
    list_select_related = ["questionnaire", "province"]
    readonly_fields = ["questionnaire", "province", "created_at", "expires_at", "used"]
    exclude = ["token_hash"]

    def has_add_permission(self, request):
        return False


@admin.register(AccessCode)
class AccessCodeAdmin(admin.ModelAdmin):
    list_display = ["questionnaire", "province", "created_at", "used"]
    list_filter = ["questionnaire", "used"]
    list_select_related = ["questionnaire", "province"]
    readonly_fields = ["questionnaire", "province", "created_at", "used"]
    exclude = ["code_hash"]

    def has_add_permission(self, request):
        return False
