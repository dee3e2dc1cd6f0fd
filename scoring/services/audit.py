"""The audit log: one row per log-in, role change, appraisal, publication, recompute, download."""

from __future__ import annotations

from scoring.models import AuditEvent


def record_event(*, user, action: str, **detail) -> AuditEvent:
    """Append an event; `detail` holds JSON-friendly facts (codes, counts, file names)."""
    return AuditEvent.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        action=action, detail=detail)
