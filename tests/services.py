"""Finding the real services the suite needs: Redis, a Celery worker, Chromium, S3.

Under CI=true a missing service fails the test; elsewhere the test is skipped with the reason,
so `make test` still runs on a laptop without Redis or Chromium.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(service: str, why: str) -> NoReturn:
    message = f"{service} is not available: {why}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: this test must run, not skip)", pytrace=False)
    pytest.skip(message)


def redis_url() -> str:
    """A Redis URL that answers PING, or skip/fail."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/1"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable("Redis", f"{url}: {exc}")
    return url


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path or not os.access(path, os.X_OK):
        unavailable("Chromium", "install Debian's `chromium` package or set CHROMIUM_PATH")
    return path


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    bucket: str
    # Any key pair: the local server checks none, but boto3 signs every request with one.
    access_key: str = "eportfolio-test"
    secret_key: str = "eportfolio-test-secret"
    region: str = "us-east-1"


def s3_server() -> S3Server:
    """The S3-compatible server .ci/run starts (S3_TEST_ENDPOINT_URL, with its bucket
    S3_TEST_BUCKET made), answering; or skip/fail."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    endpoint = os.environ.get("S3_TEST_ENDPOINT_URL", "")
    if not endpoint:
        unavailable("S3", "set S3_TEST_ENDPOINT_URL (.ci/run starts moto_server on :9030)")
    server = S3Server(endpoint, os.environ.get("S3_TEST_BUCKET") or "eportfolio-test")
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=server.region,
        config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1}),
    )
    try:
        client.head_bucket(Bucket=server.bucket)
    except (BotoCoreError, ClientError) as exc:
        unavailable("S3", f"bucket {server.bucket} at {endpoint}: {exc}")
    return server


@dataclass(frozen=True)
class OidcProvider:
    """The OpenID Connect provider .ci/run and `make oidc-provider` start
    (tools/oidc-provider/server.js): a real one, the `oidc-provider` package."""

    issuer: str

    def register_client(self, site_url: str) -> tuple[str, str]:
        """A client for a site at `site_url` (the live server's port varies), by dynamic
        registration; its (client id, client secret)."""
        import requests

        site = site_url.rstrip("/")
        answer = requests.post(
            f"{self.issuer}/reg",
            json={
                "redirect_uris": [f"{site}/accounts/sso/callback/"],
                "post_logout_redirect_uris": [f"{site}/accounts/login/"],
                "token_endpoint_auth_method": "client_secret_post",
            },
            timeout=5,
        )
        answer.raise_for_status()
        client = answer.json()
        return client["client_id"], client["client_secret"]


def oidc_provider() -> OidcProvider:
    """The OpenID provider at OIDC_TEST_ISSUER (default http://127.0.0.1:9400), answering its
    discovery address; or skip/fail."""
    import requests

    issuer = (os.environ.get("OIDC_TEST_ISSUER") or "http://127.0.0.1:9400").rstrip("/")
    try:
        requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).raise_for_status()
    except requests.RequestException as exc:
        unavailable(
            "The OpenID provider",
            f"{issuer}: {exc} (`make oidc-provider` starts it, .ci/run too)",
        )
    return OidcProvider(issuer)
