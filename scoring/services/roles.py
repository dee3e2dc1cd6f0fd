"""Who may do what: staff roles and the accounts behind them, each change audited.

Every way of changing them — the admin, `ensure_demo_users`, any later one —
goes through these functions, so none escapes the audit log.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from scoring.models import PROVINCE_ROLES, AuditEvent, Role, StaffRole
from scoring.services.audit import record_event
from surveys.models import CrosswalkLink, Province, ProvinceSet

ACCOUNT_FLAGS = ("is_active", "is_staff", "is_superuser")


def _where(role: StaffRole | None) -> tuple[str | None, str | None]:
    if role is None:
        return None, None
    return role.role, (role.province.code if role.province_id else None)


def set_staff_role(*, account, role: str, province: Province | None, by) -> StaffRole:
    """Give an account its role (and province, for a province's roles); audited if it changes."""
    if role in PROVINCE_ROLES and province is None:
        raise ValueError(f"the role {role} needs a province")
    with transaction.atomic():
        current = StaffRole.objects.select_for_update().filter(user=account).first()
        before = _where(current)
        staff_role, _ = StaffRole.objects.update_or_create(
            user=account, defaults={"role": role, "province": province})
        after = _where(staff_role)
        if before != after:
            record_event(user=by, action=AuditEvent.Action.ROLE_CHANGED,
                         staff=account.get_username(), role=after[0], province=after[1],
                         previous_role=before[0], previous_province=before[1])
    return staff_role


def remove_staff_role(*, staff_role: StaffRole, by) -> None:
    """Take an account's role away (it then sees no staff page); audited."""
    with transaction.atomic():
        before = _where(staff_role)
        record_event(user=by, action=AuditEvent.Action.ROLE_CHANGED,
                     staff=staff_role.user.get_username(), role=None, province=None,
                     previous_role=before[0], previous_province=before[1])
        staff_role.delete()


def account_flags(account) -> dict[str, bool]:
    """The stored access flags of an account (empty for one not yet saved)."""
    if account.pk is None:
        return {}
    return get_user_model().objects.filter(pk=account.pk).values(*ACCOUNT_FLAGS).first() or {}


def save_account(*, account, by, password_changed: bool = False) -> None:
    """Save an account, auditing a new account and every change of its access flags."""
    with transaction.atomic():
        before = account_flags(account)
        created = account.pk is None
        account.save()
        changes = {flag: [before.get(flag), getattr(account, flag)] for flag in ACCOUNT_FLAGS
                   if before.get(flag) != getattr(account, flag)}
        if password_changed:
            changes["password"] = "changed"  # noqa: S105 - the audit says it changed, no more
        if created or changes:
            record_event(user=by, action=AuditEvent.Action.ACCOUNT_CHANGED,
                         account=account.get_username(), created=created, changes=changes)


def record_permissions(*, account, by, before: dict[str, list[str]]) -> None:
    """Audit a change of an account's groups or permissions (`before` as permission_names)."""
    after = permission_names(account)
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if changes:
        record_event(user=by, action=AuditEvent.Action.ACCOUNT_CHANGED,
                     account=account.get_username(), created=False, changes=changes)


def permission_names(account) -> dict[str, list[str]]:
    """An account's groups and own permissions, by name."""
    if account.pk is None:
        return {"groups": [], "user_permissions": []}
    return {"groups": sorted(account.groups.values_list("name", flat=True)),
            "user_permissions": sorted(
                f"{app}.{code}" for app, code in account.user_permissions.values_list(
                    "content_type__app_label", "codename"))}


def delete_account(*, account, by) -> None:
    """Delete an account (and its role); audited."""
    with transaction.atomic():
        record_event(user=by, action=AuditEvent.Action.ACCOUNT_CHANGED,
                     account=account.get_username(), deleted=True,
                     role=_where(StaffRole.objects.filter(user=account).first())[0])
        account.delete()


def move_officers_to_set(*, target_set: ProvinceSet, by, dry_run: bool = False
                         ) -> list[tuple[str, str, str]]:
    """Move every province officer of an earlier set to the unit their province became.

    Follows the crosswalk into `target_set`; each move is a role change (audited). Their
    earlier province's results stay visible to them, as the new unit's history.
    Returns (account, from "set:code", to "set:code") per move.
    """
    links = {link.source_id: link.target for link in CrosswalkLink.objects.filter(
        target_set=target_set).select_related("target")}
    moves = []
    officers = (StaffRole.objects.filter(role=Role.PROVINCE_OFFICER, province_id__in=links)
                .select_related("user", "province__province_set").order_by("user__username"))
    for staff_role in officers:
        unit = links[staff_role.province_id]
        moves.append((staff_role.user.get_username(),
                      f"{staff_role.province.province_set.code}:{staff_role.province.code}",
                      f"{target_set.code}:{unit.code}"))
        if not dry_run:
            set_staff_role(account=staff_role.user, role=Role.PROVINCE_OFFICER, province=unit,
                           by=by)
    return moves
