"""Who may see and do what: checked in every staff page, download and API call."""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from scoring.models import Role, StaffRole
from surveys.models import Province


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
    role = role_of(user)
    if role is None:
        return False
    if role.role in (Role.REVIEWER, Role.ADMINISTRATOR):
        return True
    return role.province_id is not None and role.province_id == province.pk and \
        role.province.province_set_id == province.province_set_id


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
