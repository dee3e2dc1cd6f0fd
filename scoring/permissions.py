"""Who may see and do what: checked in every staff page, download and API call."""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from scoring.models import Role, StaffRole
from surveys.models import CrosswalkLink, Province


def role_of(user) -> StaffRole | None:
    """The staff role of a user (superusers are administrators), or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    try:
        return user.staff_role
    except StaffRole.DoesNotExist:
        if user.is_superuser:
            return StaffRole(user=user, role=Role.ADMINISTRATOR)
        return None


def sees_all_provinces(user) -> bool:
    role = role_of(user)
    return role is not None and role.role in (Role.REVIEWER, Role.ADMINISTRATOR)


def may_see_province(user, province: Province) -> bool:
    """Reviewers see every province; a province officer their own unit, and the provinces of
    earlier sets that became it (through the crosswalk: the unit owns their history)."""
    role = role_of(user)
    if role is None or role.role == Role.ENUMERATOR:
        return False
    if role.role in (Role.REVIEWER, Role.ADMINISTRATOR):
        return True
    if role.province_id is None:
        return False
    return province.pk == role.province_id or province.pk in predecessor_ids(role.province_id)


def predecessor_ids(province_id: int) -> set[int]:
    """Every province of an earlier set that became this unit, directly or not."""
    found: set[int] = set()
    frontier = {province_id}
    while frontier:
        step = set(CrosswalkLink.objects.filter(target_id__in=frontier)
                   .values_list("source_id", flat=True)) - found
        found |= step
        frontier = step
    return found


def staff_required(*roles: str):
    """A view for signed-in staff holding one of `roles`; 403 for others, log-in if anonymous."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            role = role_of(request.user)
            if role is None or role.role not in roles:
                raise PermissionDenied
            request.staff_role = role
            return view(request, *args, **kwargs)
        return wrapped
    return decorate


ALL_STAFF = (Role.REVIEWER, Role.PROVINCE_OFFICER, Role.ADMINISTRATOR)
REVIEWERS = (Role.REVIEWER, Role.ADMINISTRATOR)
# Paper forms are registered and reconciled in the province's office, keyed by its operators.
ENTRY_SUPERVISORS = (Role.PROVINCE_OFFICER, Role.ENTRY_SUPERVISOR)
ENTRY_STAFF = (*ENTRY_SUPERVISORS, Role.ENTRY_OPERATOR)
# Enumerators are not among ALL_STAFF: they see no results, only the collection app.
ENUMERATORS = (Role.ENUMERATOR,)


def collection_province(user) -> Province | None:
    """The province an enumerator collects in; None for anyone who is not one."""
    role = role_of(user)
    if role is None or role.role != Role.ENUMERATOR:
        return None
    return role.province


def provinces_in_view(user) -> list[Province] | None:
    """The provinces a user may see (own unit first, then its predecessors); None for all."""
    role = role_of(user)
    if role is None or role.role == Role.ENUMERATOR:
        return []
    if role.role in (Role.REVIEWER, Role.ADMINISTRATOR):
        return None
    if role.province_id is None:
        return []
    earlier = Province.objects.filter(pk__in=predecessor_ids(role.province_id)).order_by(
        "-province_set__first_year", "code")
    return [role.province, *earlier]


def may_assess_province(user, province: Province) -> bool:
    """Scores are written by reviewers for any province, by an officer for their own unit only
    (the provinces that became it are history: visible, not changed)."""
    role = role_of(user)
    if role is None or role.role == Role.ENUMERATOR:
        return False
    if role.role in (Role.REVIEWER, Role.ADMINISTRATOR):
        return True
    return role.province_id == province.pk


def may_enter_for(user, province: Province) -> bool:
    """Paper forms of a province are handled by its own office: the unit's, and those of the
    provinces that became it (their forms still on the office's desk after the merger)."""
    role = role_of(user)
    if role is None or role.role not in ENTRY_STAFF or role.province_id is None:
        return False
    return province.pk == role.province_id or province.pk in predecessor_ids(role.province_id)
