"""Access code generation as a background run on the Celery workers.

The ``AccessCodeBatch`` row is the run's record: the admin writes it ``queued`` in the request's
transaction and the task is published once that commits. A worker claims the row (queued ->
running, one conditional UPDATE, so a message delivered twice runs once), then runs the same
``access_codes_generate`` as the command, writing the CSV to private storage batch by batch after
each commit. Every committed batch moves ``updated_at``: the heartbeat. Cancel sets a flag the
run reads at each batch boundary. A run whose worker died is queued again by the sweeper
(services/runs.py); the worker that takes it rewrites the CSV from the database (the codes
committed, no more, no fewer) and makes the rest.
"""

import logging
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from backoffice.campaign.models import AccessCodeBatch, private_storage
from backoffice.campaign.services.access_codes import (
    AccessCodeGenerationError,
    CsvFile,
    RunCancelled,
    RunSuperseded,
    access_code_batch_csv,
    access_codes_generate,
)
from backoffice.campaign.services.runs import run_cancel, run_claim, run_is_ours, run_publish

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
    from backoffice.campaign.tasks import code_run

    run_publish(code_run, pk)


def code_run_cancel(batch: AccessCodeBatch) -> bool:
    """Ask a run to stop. A queued run is cancelled at once; a running one at its next batch boundary."""
    if not run_cancel(AccessCodeBatch, pk=batch.pk, message_field="error"):
        return False
    batch.refresh_from_db(fields=["status", "result_file"])
    if batch.status == Status.CANCELLED and batch.result_file:
        # Queued again after its worker died: its file may lack the last batch that worker made.
        _rewrite_from_database(batch)
    return True


def result_name(batch: AccessCodeBatch) -> str:
    return f"access-codes/batch-{batch.pk}.csv"


def code_run_execute(pk: int) -> bool:
    """Run (or resume) a queued batch; False when another delivery already claimed it (or it was cancelled)."""
    if not run_claim(AccessCodeBatch, pk=pk):
        return False
    batch = AccessCodeBatch.objects.select_related("film").get(pk=pk)
    storage = private_storage()
    if batch.result_file:
        # Resumed: the file becomes exactly the codes committed (a worker killed between a
        # batch's commit and its write left it one batch short), then the run appends the rest.
        _rewrite_from_database(batch)
        name = batch.result_file.name
    else:
        # An empty file first: save() makes the folders and settles the name; the run then appends.
        name = storage.save(result_name(batch), ContentFile(b""))
        batch.result_file.name = name
        batch.save(update_fields=["result_file", "updated_at"])

    def stop_if_cancelled(created: int, count: int) -> None:
        if AccessCodeBatch.objects.filter(pk=pk, cancel_requested=True).exists():
            raise RunCancelled
        if not run_is_ours(AccessCodeBatch, pk=pk, attempt=batch.attempts):
            raise RunSuperseded

    # Opened by its path rather than storage.open(), unbuffered: a write the disk refuses is cut
    # back to the last whole batch (CsvFile). Private storage is a folder every worker shares.
    with CsvFile(open(storage.path(name), "ab", buffering=0), name=name) as output:
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
        except RunSuperseded:
            logger.warning("Code generation run %s was taken over by another worker; this one stops.", pk)
    return True


def code_run_gave_up(batch: AccessCodeBatch) -> str:
    """The end of the failure message when the sweeper stops resuming a batch, its file made equal to the database."""
    if batch.result_file:
        _rewrite_from_database(batch)
    made = f"stopped after {batch.created_count:,} of {batch.requested_count:,} codes. Batch {batch.pk} holds the"
    if not batch.result_file:
        return f"{made} {batch.created_count:,} codes made; download them from the batch in the admin."
    return f"{made} {batch.created_count:,} codes made; its CSV holds exactly those."


def _rewrite_from_database(batch: AccessCodeBatch) -> None:
    storage = private_storage()
    with storage.open(batch.result_file.name, "wb") as file:
        for chunk in access_code_batch_csv(batch=batch):
            file.write(chunk.encode())
