"""Code generation runs on a real Celery worker (a subprocess on this test's database) and Redis."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from backoffice.campaign.models import AccessCode, AccessCodeBatch, private_storage
from backoffice.campaign.services.access_codes import access_code_batch_csv
from backoffice.campaign.services.code_runs import code_run_request
from backoffice.campaign.tasks import runs_sweep
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


def test_a_run_whose_worker_was_killed_is_resumed_on_another_to_its_target_with_csv_equal_to_the_database(
    code_worker,
):
    batch = request_run(40_000)
    wait_for_run(batch, lambda b: b.created_count >= 5_000, timeout=60)
    code_worker.kill()
    batch.refresh_from_db()
    assert batch.status == "running"  # nobody is left to say otherwise but the sweeper
    assert batch.created_count < 40_000

    # The message, never acknowledged, may come back to the new worker: it does not take the run
    # twice; the sweeper hands it over once its heartbeat is older than the limit.
    code_worker.start()
    with override_settings(RUN_STALE_SECONDS=1):
        wait_for_run(batch, lambda b: b.updated_at < timezone.now() - timedelta(seconds=1), timeout=10)
        assert runs_sweep() == 1
    batch = wait_for_run(batch, lambda b: b.status == "completed", timeout=120)
    assert batch.attempts == 2
    assert batch.created_count == AccessCode.objects.filter(batch=batch).count() == 40_000
    assert stored_csv(batch) == "".join(access_code_batch_csv(batch=batch))


def test_cancel_from_a_worker_run_keeps_the_csv_equal_to_the_database(code_worker):
    from backoffice.campaign.services.code_runs import code_run_cancel

    batch = request_run(1_000_000)
    wait_for_run(batch, lambda b: b.created_count >= 3_000, timeout=60)
    assert code_run_cancel(batch)
    batch = wait_for_run(batch, lambda b: b.status == "cancelled", timeout=60)
    assert batch.created_count == AccessCode.objects.filter(batch=batch).count() < 1_000_000
    assert stored_csv(batch) == "".join(access_code_batch_csv(batch=batch))
