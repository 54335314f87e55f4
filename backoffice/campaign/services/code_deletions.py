"""Deleting an access code batch: never while a booking names one of its codes.

Bookings are never deleted and keep their code (``Reservation.access_code`` is PROTECT), so a
batch with a code used even once stays; its codes can be withdrawn instead. An unused batch
goes with all its codes: at once when small, otherwise as a background run (a ``DataRun`` of kind
*delete*) that deletes ``CODE_BLOCK_CHUNK`` codes a transaction, then the batch.
"""

from functools import partial

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import ngettext

from backoffice.campaign.models import UNFINISHED_RUN, AccessCode, AccessCodeBatch, DataRun, Reservation
from backoffice.campaign.services.code_blocks import BLOCK_INLINE_LIMIT, CODE_BLOCK_CHUNK

# Bookings counted to say why a batch stays; past this many the refusal says "more than".
BOOKINGS_COUNTED = 10_000


def code_batch_delete_refusal(batch: AccessCodeBatch) -> str:
    """Why ``batch`` cannot be deleted now, or "" when it can."""
    if batch.status in UNFINISHED_RUN:
        return f"Batch {batch.pk} is still making codes. Cancel its run and wait for it to stop, then delete it."
    if _deletion_under_way(batch):
        return f"Batch {batch.pk} is already being deleted by a run; follow it under Runs."
    # Up to BOOKINGS_COUNTED bookings are read, unordered: a batch whose codes a million bookings
    # used stops there instead of joining every booking to its code.
    quantities = list(
        Reservation.objects.filter(access_code__batch=batch)
        .order_by()
        .values_list("quantity", flat=True)[: BOOKINGS_COUNTED + 1]
    )
    if len(quantities) > BOOKINGS_COUNTED:
        return (
            f"More than {BOOKINGS_COUNTED:,} bookings were made with codes of batch {batch.pk}. "
            "Bookings are never deleted and keep their code, so the batch stays. To stop its codes being used, "
            "withdraw them instead."
        )
    bookings = {"made": len(quantities), "active": sum(1 for quantity in quantities if quantity > 0)}
    if bookings["made"]:
        return (
            ngettext(
                "%(made)s booking (%(active)s active) was made with a code of batch %(batch)s. ",
                "%(made)s bookings (%(active)s active) were made with codes of batch %(batch)s. ",
                bookings["made"],
            )
            % {"made": f"{bookings['made']:,}", "active": f"{bookings['active']:,}", "batch": batch.pk}
            + "Bookings are never deleted and keep their code, so the batch stays. To stop its codes being used, "
            "withdraw them instead."
        )
    return ""


def code_batch_delete(*, batch: AccessCodeBatch, created_by) -> DataRun | None:
    """Delete an unused batch and its codes: now (None) or by a run, queued for after the caller's commit."""
    refusal = code_batch_delete_refusal(batch)
    if refusal:
        raise ValidationError(refusal)
    if batch.created_count <= BLOCK_INLINE_LIMIT:
        with transaction.atomic():
            _delete_codes(AccessCode.objects.filter(batch=batch).values_list("pk", flat=True))
            batch.delete()
        return None
    from backoffice.campaign.services.data_runs import data_run_publish

    run = DataRun.objects.create(
        kind=DataRun.Kind.DELETE,
        content_type=ContentType.objects.get_for_model(AccessCodeBatch),
        parameters={"batch": batch.pk, "file_name": ""},
        total=batch.created_count,
        created_by=created_by,
    )
    transaction.on_commit(partial(data_run_publish, run.pk))
    return run


def code_batch_delete_run(run: DataRun, heartbeat) -> str:
    """The run's work: the codes a chunk at a time, then the batch; returns its closing message."""
    batch = AccessCodeBatch.objects.filter(pk=run.parameters["batch"]).first()
    if batch is None:
        return f"Batch {run.parameters['batch']} was already deleted."
    codes = AccessCode.objects.filter(batch=batch).order_by("pk").values_list("pk", flat=True)
    done = 0
    while pks := list(codes[:CODE_BLOCK_CHUNK]):
        with transaction.atomic():
            _delete_codes(pks)
        done += len(pks)
        heartbeat.beat(done)
    with transaction.atomic():
        batch.delete()
    return f"Deleted batch {run.parameters['batch']} and its {done:,} access codes."


def _delete_codes(pks) -> None:
    # Locked first: a booking reaching one of these codes now waits, then finds it gone, and
    # one that got there first makes the delete refuse (PROTECT) and the chunk roll back.
    locked = list(AccessCode.objects.select_for_update().filter(pk__in=list(pks)).values_list("pk", flat=True))
    AccessCode.objects.filter(pk__in=locked).delete()


def _deletion_under_way(batch: AccessCodeBatch) -> bool:
    runs = DataRun.objects.filter(kind=DataRun.Kind.DELETE, status__in=UNFINISHED_RUN)
    return runs.filter(parameters__batch=batch.pk).exists()
