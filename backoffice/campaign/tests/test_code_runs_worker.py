"""Code generation runs on a real Celery worker (a subprocess on this test's database) and Redis."""

import pytest
from django.db import transaction
from django.test import override_settings

from backoffice.campaign import tasks
from backoffice.campaign.models import AccessCode, AccessCodeBatch, private_storage
from backoffice.campaign.services.access_codes import access_code_batch_csv
from backoffice.campaign.services.code_runs import code_run_request, code_runs_sweep
from backoffice.campaign.tests.conftest import run_worker, wait_for

pytestmark = [pytest.mark.postgresql, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def code_worker(broker_url, private_files, transactional_db):
    """One worker writing to this test's private storage, committing 1,000 codes a batch."""
    with run_worker(broker_url, private_files, CODE_RUN_BATCH_SIZE="1000") as worker:
        yield worker


def request_run(count: int) -> AccessCodeBatch:
    with transaction.atomic():
        return code_run_request(count=count, film=None, max_usages=1, created_by=None)


def stored_csv(batch: AccessCodeBatch) -> str:
    with private_storage().open(batch.result_file.name, "rb") as file:
        return file.read().decode()


def wait_for_run(run: AccessCodeBatch, test, *, timeout: float) -> AccessCodeBatch:
    return wait_for(run, test, timeout=timeout, progress="batch {r.pk}: {r.status}, {r.created_count:,} codes")


def test_a_worker_runs_the_batch_and_its_csv_equals_the_database(code_worker):
    batch = wait_for_run(request_run(5_500), lambda b: b.status == "completed", timeout=60)
    assert batch.created_count == AccessCode.objects.filter(batch=batch).count() == 5_500
    assert stored_csv(batch) == "".join(access_code_batch_csv(batch=batch))


def test_a_worker_killed_mid_run_leaves_a_failed_batch_whose_csv_equals_the_database(code_worker):
    batch = request_run(1_000_000)
    wait_for_run(batch, lambda b: b.created_count >= 5_000, timeout=60)
    code_worker.kill()

    batch.refresh_from_db()
    assert batch.status == "running"  # nobody is left to say otherwise but the sweeper
    with override_settings(ACCESS_CODE_RUN_STALE_SECONDS=0):
        assert code_runs_sweep() == 1
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert "the worker running it sent no progress since" in batch.error
    assert 5_000 <= batch.created_count == AccessCode.objects.filter(batch=batch).count() < 1_000_000
    assert stored_csv(batch) == "".join(access_code_batch_csv(batch=batch))

    # The message, never acknowledged, may be delivered again: that delivery does not start the run again.
    assert tasks.code_run(batch.pk) is False
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert AccessCode.objects.filter(batch=batch).count() == batch.created_count


def test_cancel_from_a_worker_run_keeps_the_csv_equal_to_the_database(code_worker):
    from backoffice.campaign.services.code_runs import code_run_cancel

    batch = request_run(1_000_000)
    wait_for_run(batch, lambda b: b.created_count >= 3_000, timeout=60)
    assert code_run_cancel(batch)
    batch = wait_for_run(batch, lambda b: b.status == "cancelled", timeout=60)
    assert batch.created_count == AccessCode.objects.filter(batch=batch).count() < 1_000_000
    assert stored_csv(batch) == "".join(access_code_batch_csv(batch=batch))
