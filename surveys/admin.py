"""Admin pages for provinces, questionnaires and submissions."""

from django.contrib import admin
from django.db.models import Count

from surveys.models import Province, ProvinceSet, Question, Questionnaire, Section, Submission


@admin.register(ProvinceSet)
class ProvinceSetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "first_year", "last_year", "province_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_provinces=Count("provinces"))

    @admin.display(description="provinces", ordering="_provinces")
    def province_count(self, obj):
        return obj._provinces


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "name_en", "region_en", "successor", "province_set"]
    list_filter = ["province_set", "region_en"]
    search_fields = ["code", "name_vi", "name_en"]
    list_per_page = 100


class SectionInline(admin.TabularInline):
    model = Section
    fields = ["position", "code", "title_vi", "title_en"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["code", "year", "audience", "respondent_group", "title_vi", "question_count",
                    "is_open"]
    list_filter = ["year", "audience"]
    readonly_fields = ["code", "year", "audience", "respondent_group", "title_vi", "title_en",
                       "province_set", "checksum", "loaded_at", "definition"]
    inlines = [SectionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_questions=Count("questions"))

    @admin.display(description="questions", ordering="_questions")
    def question_count(self, obj):
        return obj._questions


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "questionnaire", "section", "type", "scale", "required",
                    "show_if_question"]
    list_filter = ["questionnaire", "type"]
    search_fields = ["code", "text_vi", "text_en"]
    list_select_related = ["questionnaire", "section", "scale"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["key", "questionnaire", "province", "channel", "submitted_at", "counted_at",
                    "excluded"]
    list_filter = ["questionnaire", "channel", "excluded"]
    list_select_related = ["questionnaire", "province"]
    readonly_fields = ["key", "questionnaire", "province", "channel", "submitted_at",
                       "received_at", "content_hash", "counted_at"]
    show_full_result_count = False
