"""The media storage that STORAGES["default"] names when files go to S3-compatible storage.

One function, so that config/settings/base.py (from the AWS_* environment) and the tests that
run the S3 path against a real S3-compatible server (tests/core/test_s3_storage.py) configure
django-storages the same way.
"""

from __future__ import annotations

from typing import Any

S3_BACKEND = "storages.backends.s3.S3Storage"
# django-storages reads an object it opens into a spooled temporary file; its default (0) never
# rolls over to disk, so a 500 MB video read through it would sit in memory. Files are served
# in ranged chunks (core.storage) instead, but the few whole reads left (a checkpoint, the
# health probe, a record written to disk by a command) stay small in memory this way too.
S3_MAX_MEMORY_BYTES = 8 * 1024 * 1024


def s3_media_storage(
    *,
    bucket_name: str,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    region_name: str | None = None,
    location: str = "",
) -> dict[str, Any]:
    """A STORAGES entry for media in a bucket (MinIO or another S3-compatible store when
    `endpoint_url` is given). `location` puts every name under a folder of the bucket."""
    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket_name,
            "endpoint_url": endpoint_url,
            "access_key": access_key,
            "secret_key": secret_key,
            "region_name": region_name,
            "location": location,
            # No ACL is asked for: the bucket stays private and its own policy decides.
            "default_acl": None,
            # Media is never served by URL (views stream it after a permission check); should a
            # URL ever be made, it is a signed, expiring one.
            "querystring_auth": True,
            # Stored files never change: a second file of the same name gets a new name.
            "file_overwrite": False,
            "max_memory_size": S3_MAX_MEMORY_BYTES,
        },
    }
