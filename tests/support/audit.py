"""What an attacker with database access would do to hide the newest audit events."""

from __future__ import annotations

from django.db import connection


def truncate_audit_chain(*, keep: int, rewind_head: bool = True) -> None:
    """Delete every audit event after sequence `keep` with raw SQL and, unless told not to,
    rewind the chain head row to the new end, so the chain itself still looks whole."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE sequence > %s", [keep])
        if rewind_head:
            cursor.execute(
                "UPDATE core_auditchainhead SET sequence = %s, hash = COALESCE("
                "(SELECT hash FROM core_auditevent WHERE sequence = %s), %s)",
                [keep, keep, "0" * 64],
            )
