"""Operational tasks: `ping` proves the web → broker → worker → result path end to end;
`write_audit_checkpoint` records the audit chain's head in file storage once a day (beat);
`sweep_orphaned_files` deletes, once a day (beat), stored files no row names (core.stored_files)."""

import socket

from celery import shared_task

from core import audit, stored_files


@shared_task(name="core.ping")
def ping() -> dict[str, str]:
    return {"pong": socket.gethostname()}


@shared_task(name="core.write_audit_checkpoint")
def write_audit_checkpoint() -> str:
    name, _checkpoint = audit.write_checkpoint()
    return name


@shared_task(name="core.sweep_orphaned_files")
def sweep_orphaned_files() -> dict[str, int]:
    return stored_files.sweep_orphaned_files().counts()
