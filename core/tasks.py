"""Operational tasks: `ping` proves the web → broker → worker → result path end to end;
`write_audit_checkpoint` records the audit chain's head in file storage once a day (beat)."""

import socket

from celery import shared_task

from core import audit


@shared_task(name="core.ping")
def ping() -> dict[str, str]:
    return {"pong": socket.gethostname()}


@shared_task(name="core.write_audit_checkpoint")
def write_audit_checkpoint() -> str:
    name, _checkpoint = audit.write_checkpoint()
    return name
