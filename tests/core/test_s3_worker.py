"""The S3 path with a real Celery worker: configured only from the AWS_* variables, as the
docker-compose services are, it builds an achievement record into the bucket that the page then
serves. Its own module because it commits (transaction=True): pytest-django runs such modules
after the others, whose catalogue a flush would otherwise empty. See test_s3_storage.py.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client

from assessments.models.achievement import AchievementRecord
from tests.assessments import test_achievement_worker as worker_tests
from tests.assessments.test_achievement_records import Case
from tests.assessments.test_achievement_worker import (
    StartWorker,
    ask_through_the_page,
    download_text,
    wait_until_ready,
)
from tests.core import test_s3_storage as s3_tests
from tests.core.test_s3_storage import keys, stored_bytes
from tests.services import S3Server

pytestmark = [pytest.mark.s3, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# The bucket's fixtures, and the real worker's (its Redis database, tasks sent to it, the
# worker processes), used with `worker_storage_env` below pointing the worker at the bucket.
s3 = s3_tests.s3
bucket = s3_tests.bucket
prefix = s3_tests.prefix
storage = s3_tests.storage
done = s3_tests.done
broker = worker_tests.broker
queue_on = worker_tests.queue_on
start_worker = worker_tests.start_worker


@pytest.fixture
def worker_storage_env(s3: S3Server, storage: str) -> dict[str, str]:
    """The worker keeps files in the bucket, configured from the environment as the
    docker-compose services are (config/settings/base.py reads AWS_*)."""
    return {
        "AWS_STORAGE_BUCKET_NAME": s3.bucket,
        "AWS_ACCESS_KEY_ID": s3.access_key,
        "AWS_SECRET_ACCESS_KEY": s3.secret_key,
        "AWS_S3_ENDPOINT_URL": s3.endpoint_url,
        "AWS_S3_REGION_NAME": s3.region,
        "AWS_LOCATION": storage,
    }


def test_a_real_worker_configured_for_s3_builds_the_record_into_the_bucket(
    done: Case,
    queue_on: None,
    start_worker: StartWorker,
    client: Client,
    storage: str,
    bucket: Any,
    s3: S3Server,
) -> None:
    worker = start_worker("worker")
    client.force_login(done.learner)

    record = ask_through_the_page(client, done.registration)
    wait_until_ready(client, record, [worker])

    record = AchievementRecord.objects.get(pk=record.pk)
    key = f"{storage}/{record.file.name}"
    assert keys(bucket, s3, storage) == [key]
    assert hashlib.sha256(stored_bytes(bucket, s3, key)).hexdigest() == record.pdf_sha256
    # Downloaded through the page from the bucket, hash checked, text read back.
    assert "Ada Bucket" in download_text(client, record)
    assert "Task assessments.build_achievement_record[" in worker.text()
