"""Admin pages for index definitions, assessments and results."""

from django.contrib import admin
from django.db.models import Count, Q, Sum

from scoring.auth import StaffAdminAuthenticationForm
from scoring.models import (
    Assessment,
    AssessmentChange,
    AuditEvent,
    Index,
    Node,
    Publication,
    Recompute,
    StaffRole,
)
from scoring.services.audit import record_event

# The admin's log-in passes the same lock-outs and audit as the site's (scoring.auth).
admin.site.login_form = StaffAdminAuthenticationForm


@admin.register(Index)
class IndexAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "year", "previous_code", "first_level", "second_level",
                    "leaves", "appraisal_points", "survey_points"]
    list_filter = ["kind", "year"]
    readonly_fields = ["code", "kind", "year", "previous_code", "title_vi", "title_en",
                       "total_points", "groups", "province_set", "checksum", "loaded_at"]
    exclude = ["definition"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _first=Count("nodes", filter=Q(nodes__level=1)),
            _second=Count("nodes", filter=Q(nodes__level=2)),
            _leaves=Count("nodes", filter=Q(nodes__level=3)),
            _appraisal=Sum("nodes__max_points", filter=Q(nodes__method="appraisal")),
            _survey=Sum("nodes__max_points", filter=Q(nodes__level=3, nodes__method="survey")),
        )

    @admin.display(description="areas / parts", ordering="_first")
    def first_level(self, obj):
        return obj._first

    @admin.display(description="criteria / elements", ordering="_second")
    def second_level(self, obj):
        return obj._second

    @admin.display(description="components / items", ordering="_leaves")
    def leaves(self, obj):
        return obj._leaves

    @admin.display(description="appraisal points")
    def appraisal_points(self, obj):
        return obj._appraisal if obj.kind == "par" else "—"

    @admin.display(description="survey points")
    def survey_points(self, obj):
        return obj._survey if obj.kind == "par" else "—"


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_vi", "index", "level", "max_points", "method", "rule"]
    list_filter = ["index", "level", "method"]
    search_fields = ["code", "name_vi", "name_en"]
    list_select_related = ["index"]
    list_per_page = 100


class AssessmentChangeInline(admin.TabularInline):
    model = AssessmentChange
    fields = ["changed_at", "field", "old_value", "new_value", "changed_by", "via"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["index", "province", "node", "self_score", "appraised_score", "updated_at"]
    list_filter = ["index"]
    list_select_related = ["index", "province", "node"]
    readonly_fields = ["index", "province", "node", "self_score", "appraised_score"]
    inlines = [AssessmentChangeInline]


@admin.register(Recompute)
class RecomputeAdmin(admin.ModelAdmin):
    list_display = ["index", "full", "status", "progress", "started_at", "finished_at"]
    list_filter = ["index", "status"]
    readonly_fields = ["index", "full", "provinces", "status", "progress", "inputs",
                       "started_at", "finished_at"]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "province"]
    list_filter = ["role"]
    list_select_related = ["user", "province"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record_event(user=request.user, action=AuditEvent.Action.ROLE_CHANGED,
                     staff=obj.user.get_username(), role=obj.role,
                     province=obj.province.code if obj.province else None)

    def delete_model(self, request, obj):
        record_event(user=request.user, action=AuditEvent.Action.ROLE_CHANGED,
                     staff=obj.user.get_username(), role=None, province=None)
        super().delete_model(request, obj)


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ["index", "version", "published_at", "published_by"]
    list_filter = ["index"]
    readonly_fields = ["index", "version", "published_at", "published_by", "note"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "detail"]
    list_filter = ["action"]
    readonly_fields = ["at", "user", "action", "detail"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
