"""The audit log (审计): every state change of a notice, payment or refund, with who,
what, when and in which gateway request. Entries are only ever appended (``models.AuditEntry`` refuses updates
and deletes)."""

from services.common.time import isoformat
from services.common.tracing import current_request_id
from services.payment import models

SYSTEM = "payment-service"


def record(actor, action, subject, now, **detail):
    models.AuditEntry(
        at=now, actor=actor, action=action, subject=subject, detail=detail, request_id=current_request_id()
    ).save()


def trail(subject):
    """Entries about one subject (``notice:…``, ``payment:…``, ``refund:…``), oldest first."""
    entries = models.AuditEntry.objects(subject=subject)
    return sorted(
        (
            {
                "at": isoformat(e.at),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "detail": e.detail,
                "request_id": e.request_id,
            }
            for e in entries
        ),
        key=lambda e: e["at"],
    )
