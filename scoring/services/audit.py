"""The audit log: one row per log-in, role change, appraisal, publication, recompute, download.

Each row says who did what, when, and from where: the way in (`via` in the detail)
and, for a change made through the web, the staff member's network address, which
`StaffSessionMiddleware` makes known for the length of the request. Respondents never
write to the audit log.
"""

from __future__ import annotations

from contextvars import ContextVar

from scoring.models import AuditEvent

request_address: ContextVar[str | None] = ContextVar("request_address", default=None)


def record_event(*, user, action: str, **detail) -> AuditEvent:
    """Append an event; `detail` holds JSON-friendly facts (codes, counts, file names)."""
    return AuditEvent.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        action=action, detail=detail, address=request_address.get())
