"""The client's IP address, as the sign-in lockout (django-axes), the password-reset limit and
the public badge check's lookup limit count it: axes.helpers.get_client_ip_address, which all
three call, asks this (AXES_CLIENT_IP_CALLABLE).

With TRUSTED_PROXY_COUNT 0 (no proxy) it is the connection's own address, REMOTE_ADDR, and
X-Forwarded-For is ignored: anyone can send that header. Behind that many reverse proxies, each
appending the address it was reached from to X-Forwarded-For, the client's address is the entry
the outermost one (the one the client connected to) appended: that many from the right. Whatever
the client sent itself stands to its left, so no client can choose the address it is counted by.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip_address(request: HttpRequest) -> str | None:
    connected = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return connected
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(forwarded) < proxies:
        # Not through every proxy (a health check asking the web process directly): only the
        # connection's own address is known.
        return connected
    try:
        return str(ipaddress.ip_address(forwarded[-proxies].strip()))
    except ValueError:
        # Not a bare address (a port added, a proxy configured otherwise): counting by it could
        # not be stored (axes keeps addresses in an address column); the proxy's address is.
        return connected
