"""Operational tasks: `ping` proves the web → broker → worker → result path end to end."""

import socket

from celery import shared_task


@shared_task(name="core.ping")
def ping() -> dict[str, str]:
    return {"pong": socket.gethostname()}
