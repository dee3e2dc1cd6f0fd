"""Admin pages for index definitions, assessments and results."""

import json

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, Q, Sum
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from scoring import selectors
from scoring.audit_text import audit_line, via_label
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
from scoring.rules.vocabulary import IndexKind, Level, Method
from scoring.services import roles
from surveys.admin import ViewOnlyAdmin, english_text

# The admin's log-in passes the same lock-outs and audit as the site's (scoring.auth).
admin.site.login_form = StaffAdminAuthenticationForm
admin.site.site_header = _("PAR Index & SIPAS administration")
admin.site.site_title = _("PAR Index & SIPAS administration")
admin.site.index_title = _("Site administration")


def machine_record(value) -> str:
    """A stored JSON record, shown as it is and marked as not to be translated."""
    if value in (None, "", [], {}):
        return "-"
    return format_html('<code translate="no">{}</code>', json.dumps(value, ensure_ascii=False))


PERMISSION_ACTIONS = {"add": _("Can add %(model)s"), "change": _("Can change %(model)s"),
                      "delete": _("Can delete %(model)s"), "view": _("Can view %(model)s")}


def permission_label(permission) -> str:
    """A permission in the page's language: Django stores its name in English once, when the
    tables are made, so the usual add/change/delete/view ones are named again here."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and model_name == model._meta.model_name and \
            action in PERMISSION_ACTIONS:
        name = PERMISSION_ACTIONS[action] % {"model": model._meta.verbose_name}
    else:
        name = permission.name
    return f"{permission.content_type} | {name}"


class PermissionLabels:
    """Admin mixin: permissions listed by their names in the page's language."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if db_field.name in ("permissions", "user_permissions"):
            formfield.label_from_instance = permission_label
        return formfield


@admin.register(Index)
class IndexAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "year", "previous_code", "first_level", "second_level",
                    "leaves", "appraisal_points", "survey_points"]
    list_filter = ["kind", "year"]
    readonly_fields = ["code", "kind", "year", "previous_code", "title_vi", "title_en_shown",
                       "total_points", "groups_shown", "province_set", "checksum", "loaded_at"]
    fields = readonly_fields

    title_en_shown = english_text("title_en", _("title (English)"))

    @admin.display(description=_("groups"))
    def groups_shown(self, obj):
        """The rank groups in words: A from 90 %, B from 80 %, …"""
        return "; ".join(_("%(group)s from %(percent)s %%") % {
            "group": g.get("code"), "percent": g.get("min_percent")} for g in obj.groups) or "-"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _first=Count("nodes", filter=Q(nodes__level=Level.FIRST)),
            _second=Count("nodes", filter=Q(nodes__level=Level.SECOND)),
            _leaves=Count("nodes", filter=Q(nodes__level=Level.LEAF)),
            _appraisal=Sum("nodes__max_points", filter=Q(nodes__method=Method.APPRAISAL)),
            _survey=Sum("nodes__max_points",
                        filter=Q(nodes__level=Level.LEAF, nodes__method=Method.SURVEY)),
        )

    @admin.display(description=_("areas / parts"), ordering="_first")
    def first_level(self, obj):
        return obj._first

    @admin.display(description=_("criteria / elements"), ordering="_second")
    def second_level(self, obj):
        return obj._second

    @admin.display(description=_("components / items"), ordering="_leaves")
    def leaves(self, obj):
        return obj._leaves

    @admin.display(description=_("appraisal points"))
    def appraisal_points(self, obj):
        return obj._appraisal if obj.kind == IndexKind.PAR else "—"

    @admin.display(description=_("survey points"))
    def survey_points(self, obj):
        return obj._survey if obj.kind == IndexKind.PAR else "—"


@admin.register(Node)
class NodeAdmin(ViewOnlyAdmin):
    """Index trees come from the loaded file (load_index), never edited here."""

    list_display = ["code", "name_vi", "index", "level", "max_points", "method", "rule"]
    list_filter = ["index", "level", "method"]
    search_fields = ["code", "name_vi", "name_en"]
    list_select_related = ["index"]
    list_per_page = 100
    fields = ["index", "parent", "level", "code", "name_vi", "name_en_shown", "max_points",
              "method", "rule", "threshold", "fractions_shown", "position"]
    readonly_fields = fields

    name_en_shown = english_text("name_en", _("name (English)"))

    @admin.display(description=_("fraction per option"))
    def fractions_shown(self, obj):
        return machine_record(obj.fractions)


class AssessmentChangeInline(admin.TabularInline):
    model = AssessmentChange
    fields = ["changed_at", "change_shown", "changed_by", "via_shown"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("change"))
    def change_shown(self, obj):
        return str(obj)

    @admin.display(description=_("via"))
    def via_shown(self, obj):
        return via_label(obj.via)


@admin.register(Assessment)
class AssessmentAdmin(ViewOnlyAdmin):
    """Scores and notes change on the appraisal page or by import_assessments, with history."""

    list_display = ["index", "province", "node", "self_score", "appraised_score", "updated_at"]
    list_filter = ["index"]
    list_select_related = ["index", "province", "node"]
    inlines = [AssessmentChangeInline]


@admin.register(Recompute)
class RecomputeAdmin(admin.ModelAdmin):
    list_display = ["index", "full", "status", "progress", "started_at", "finished_at"]
    list_filter = ["index", "status"]
    readonly_fields = ["index", "full", "provinces_shown", "status", "progress",
                       "inputs_shown", "started_at", "finished_at"]
    fields = readonly_fields

    @admin.display(description=_("provinces"))
    def provinces_shown(self, obj):
        return machine_record(obj.provinces)

    @admin.display(description=_("inputs"))
    def inputs_shown(self, obj):
        return machine_record(obj.inputs)


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    """Roles change only through scoring.services.roles, so every change is audited."""

    list_display = ["user", "role", "province"]
    list_filter = ["role"]
    list_select_related = ["user", "province"]

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        saved = roles.set_staff_role(account=obj.user, role=obj.role, province=obj.province,
                                     by=request.user)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        roles.remove_staff_role(staff_role=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for staff_role in queryset.select_related("user", "province"):
            roles.remove_staff_role(staff_role=staff_role, by=request.user)


admin.site.unregister(get_user_model())


admin.site.unregister(Group)


@admin.register(Group)
class AccountGroupAdmin(PermissionLabels, GroupAdmin):
    """Django's group pages, with the permissions named in the page's language."""


@admin.register(get_user_model())
class AccountAdmin(PermissionLabels, UserAdmin):
    """Django's account pages, with every access change, password change and deletion
    going through scoring.services.roles (and so into the audit log).

    Groups and permissions are plain labelled lists (the two-box widget's icons carry
    attributes screen readers refuse); the log-in and joining times are shown, not edited.
    """

    filter_horizontal = ()
    readonly_fields = ["last_login", "date_joined"]

    def save_model(self, request, obj, form, change):
        roles.save_account(account=obj, by=request.user,
                           password_changed=not change and bool(obj.password))

    def save_related(self, request, form, formsets, change):
        before = roles.permission_names(form.instance)
        super().save_related(request, form, formsets, change)
        roles.record_permissions(account=form.instance, by=request.user, before=before)

    def delete_model(self, request, obj):
        roles.delete_account(account=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for account in queryset:
            roles.delete_account(account=account, by=request.user)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            account = self.get_object(request, id)
            roles.save_account(account=account, by=request.user, password_changed=True)
        return response


@admin.register(Publication)
class PublicationAdmin(ViewOnlyAdmin):
    """Versions are published and withdrawn on the review pages, through the service that
    freezes their files and audits the decision (scoring.services.publishing)."""

    list_display = ["index", "version", "published_at", "published_by", "withdrawn_at"]
    list_filter = ["index"]


class AuditChangeList(ChangeList):
    """Looks up the names of the codes on the page once, for the events in words."""

    def get_results(self, request):
        super().get_results(request)
        events = list(self.result_list)
        names = selectors.audit_names(e.detail for e in events)
        for event in events:
            event.audit_names = names


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "description"]
    list_filter = ["action"]
    list_select_related = ["user"]
    readonly_fields = ["at", "user", "action", "description", "where", "count", "detail_shown"]
    fields = readonly_fields

    def get_changelist(self, request, **kwargs):
        return AuditChangeList

    def _line(self, obj):
        names = getattr(obj, "audit_names", None) or selectors.audit_names([obj.detail])
        return audit_line(obj, names)

    @admin.display(description=_("what happened"))
    def description(self, obj):
        return self._line(obj).description

    @admin.display(description=_("from where"))
    def where(self, obj):
        return self._line(obj).where

    @admin.display(description=_("detail"))
    def detail_shown(self, obj):
        return machine_record(obj.detail)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
