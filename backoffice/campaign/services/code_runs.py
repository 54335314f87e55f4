"""Access code generation as a background run on the Celery workers.

The ``AccessCodeBatch`` row is the run's record: the admin writes it ``queued`` in the request's
transaction and the task is published once that commits. A worker claims the row (queued ->
running, one conditional UPDATE, so a message delivered twice runs once), then runs the same
``access_codes_generate`` as the command, writing the CSV to private storage batch by batch after
each commit. Every committed batch moves ``updated_at``: the heartbeat. Cancel sets a flag the
run reads at each batch boundary. The sweeper (beat) fails a running batch whose heartbeat
stopped and rewrites its file from the database, so the file holds exactly the codes committed.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from backoffice.campaign.models import AccessCodeBatch, private_storage
from backoffice.campaign.services.access_codes import (
    AccessCodeGenerationError,
    CsvFile,
    RunCancelled,
    access_code_batch_csv,
    access_codes_generate,
)
from backoffice.campaign.services.runs import run_cancel, run_claim, run_fail_stale

logger = logging.getLogger(__name__)

Status = AccessCodeBatch.Status


def code_run_request(*, count: int, film, max_usages: int, created_by) -> AccessCodeBatch:
    """Write a queued run and publish it to the workers once the caller's transaction commits.

    Without a broker (``make run``) the task runs eagerly, in this process, after the commit.
    """
    batch = AccessCodeBatch.objects.create(
        requested_count=count,
        film=film,
        max_usages=max_usages,
        source=AccessCodeBatch.Source.ADMIN,
        created_by=created_by,
        status=Status.QUEUED,
    )
    transaction.on_commit(partial(code_run_publish, batch.pk))
    return batch


def code_run_publish(pk: int) -> None:
    """A broker outage is logged, never raised: the run stays queued and the sweeper publishes it again."""
    from backoffice.campaign.tasks import code_run

    try:
        code_run.apply_async((pk,), retry=False)
    except Exception:
        logger.warning("Could not publish code generation run %s; the sweeper will publish it.", pk, exc_info=True)


def code_run_cancel(batch: AccessCodeBatch) -> bool:
    """Ask a run to stop. A queued run is cancelled at once; a running one at its next batch boundary."""
    return run_cancel(AccessCodeBatch, pk=batch.pk, message_field="error")


def result_name(batch: AccessCodeBatch) -> str:
    return f"access-codes/batch-{batch.pk}.csv"


def code_run_execute(pk: int) -> bool:
    """Run a queued batch; False when another delivery already claimed it (or it was cancelled)."""
    if not run_claim(AccessCodeBatch, pk=pk):
        return False
    batch = AccessCodeBatch.objects.select_related("film").get(pk=pk)
    storage = private_storage()
    # An empty file first: save() makes the folders and settles the name; the run then appends.
    name = storage.save(result_name(batch), ContentFile(b""))
    batch.result_file.name = name
    batch.save(update_fields=["result_file", "updated_at"])

    def stop_if_cancelled(created: int, count: int) -> None:
        if AccessCodeBatch.objects.filter(pk=pk, cancel_requested=True).exists():
            raise RunCancelled

    # Opened by its path rather than storage.open(), unbuffered: a write the disk refuses is cut
    # back to the last whole batch (CsvFile). Private storage is a folder every worker shares.
    with CsvFile(open(storage.path(name), "wb", buffering=0), name=name) as output:
        try:
            access_codes_generate(
                count=batch.requested_count,
                batch_size=settings.CODE_RUN_BATCH_SIZE,
                film=batch.film,
                max_usages=batch.max_usages,
                source=batch.source,
                created_by=batch.created_by,
                output=output,
                progress=stop_if_cancelled,
                batch=batch,
            )
        except AccessCodeGenerationError as exc:
            logger.warning("Code generation run %s stopped: %s", pk, exc)
    return True


def code_runs_sweep() -> int:
    """Fail running batches whose heartbeat stopped, keeping their file equal to the database, and
    publish again queued runs no worker took. Returns how many runs were failed."""
    now = timezone.now()
    stale = AccessCodeBatch.objects.filter(status=Status.RUNNING, updated_at__lt=now - AccessCodeBatch.stale_after())
    failed = 0
    for batch in stale.select_related("film"):
        since = timezone.localtime(batch.updated_at)
        error = (
            f"Stopped after {batch.created_count:,} of {batch.requested_count:,} codes: the worker running it "
            f"sent no progress since {since:%Y-%m-%d %H:%M}. Batch {batch.pk} holds the {batch.created_count:,} "
            "codes made; its CSV holds exactly those."
        )
        # Conditional on the heartbeat read: a run that just moved is left alone.
        if not run_fail_stale(
            AccessCodeBatch, pk=batch.pk, heartbeat=batch.updated_at, message_field="error", message=error
        ):
            continue
        if batch.result_file:
            _rewrite_from_database(batch)
        failed += 1
    republish = AccessCodeBatch.objects.filter(
        status=Status.QUEUED,
        created_at__lt=now - timedelta(seconds=settings.CODE_RUN_REPUBLISH_SECONDS),
    ).values_list("pk", flat=True)
    for pk in republish:
        code_run_publish(pk)
    return failed


def _rewrite_from_database(batch: AccessCodeBatch) -> None:
    # A worker killed between a batch's commit and its write leaves the file one batch short.
    storage = private_storage()
    with storage.open(batch.result_file.name, "wb") as file:
        for chunk in access_code_batch_csv(batch=batch):
            file.write(chunk.encode())
