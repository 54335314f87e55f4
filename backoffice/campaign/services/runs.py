"""What every background run shares (``BackgroundRun``): its transitions, as conditional updates,
the publish after commit, and the sweeper that resumes a run whose worker died.

Code generation runs (``AccessCodeBatch``) and the runs of ``DataRun`` (spreadsheets, runs on
codes) have one life: queued -> running -> completed, failed or cancelled. Each step is one
UPDATE conditional on the state it leaves, so a message delivered twice, a Cancel racing a
finish, or two sweepers racing each other each take effect once.

A worker killed mid-run (SIGKILL, a lost host) leaves its run ``running`` with a heartbeat that
no longer moves. After ``RUN_STALE_SECONDS`` the sweeper queues it again for another worker,
which resumes it: code generation continues to its target with its CSV equal to the database;
every other kind starts again (an import is all or nothing; blocking codes is idempotent per
chunk; an export is made again). After ``RUN_MAX_ATTEMPTS`` tries it ends failed, saying why.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Model
from django.db.models.functions import Now
from django.utils import timezone

from backoffice.campaign.models import BackgroundRun, RunStatus, run_stale_after

logger = logging.getLogger(__name__)


def run_publish(task, pk: int) -> None:
    """Hand a row to the workers (a run, an email). A broker outage is logged, never raised: the
    row stays queued and its sweeper publishes it again."""
    try:
        task.apply_async((pk,), retry=False)
    except Exception:
        logger.warning("Could not publish %s %s; the sweeper will publish it.", task.name, pk, exc_info=True)


def run_claim(model: type[BackgroundRun], *, pk: int) -> bool:
    """queued -> running, one more try; False when another delivery claimed the run first, or it was cancelled."""
    return bool(
        model.objects.filter(pk=pk, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, attempts=F("attempts") + 1, updated_at=Now()
        )
    )


def run_is_ours(model: type[BackgroundRun], *, pk: int, attempt: int) -> bool:
    """Whether the run is still running on this try: False once the sweeper gave it to another worker."""
    return model.objects.filter(pk=pk, status=RunStatus.RUNNING, attempts=attempt).exists()


def run_cancel(model: type[Model], *, pk: int, message_field: str) -> bool:
    """A queued run is cancelled at once; a running one is flagged and stops at its next batch boundary."""
    if model.objects.filter(pk=pk, status=RunStatus.QUEUED).update(
        status=RunStatus.CANCELLED,
        cancel_requested=True,
        finished_at=timezone.now(),
        **{message_field: "Cancelled before it started."},
    ):
        return True
    return bool(model.objects.filter(pk=pk, status=RunStatus.RUNNING).update(cancel_requested=True))


def runs_sweep(kinds) -> int:
    """Resume (or, after ``RUN_MAX_ATTEMPTS`` tries, fail) running runs whose heartbeat stopped, and
    publish again queued runs no worker took. ``kinds`` pairs each run model with its task and a
    ``gave_up(run)`` text for the failure message. Returns how many runs were resumed or failed."""
    now = timezone.now()
    swept = 0
    for model, task, gave_up in kinds:
        for run in model.objects.filter(status=RunStatus.RUNNING, updated_at__lt=now - run_stale_after()):
            # Conditional on the heartbeat and the try read: a run that just moved, or that another
            # sweeper took, is left alone.
            unchanged = model.objects.filter(
                pk=run.pk, status=RunStatus.RUNNING, updated_at=run.updated_at, attempts=run.attempts
            )
            if not run.resumable or run.attempts >= settings.RUN_MAX_ATTEMPTS:
                since = f"{timezone.localtime(run.updated_at):%Y-%m-%d %H:%M}"
                stopped = (
                    f"The worker running it stopped {run.attempts} times, the last time at {since}"
                    if run.resumable
                    else f"The process running it sent no progress since {since}"
                )
                message = f"{stopped}; {gave_up(run)}"
                swept += unchanged.update(
                    status=RunStatus.FAILED, finished_at=timezone.now(), **{model.message_field: message}
                )
            elif unchanged.update(status=RunStatus.QUEUED, updated_at=Now()):
                logger.warning("%s %s lost its worker (try %s); queued again.", model.__name__, run.pk, run.attempts)
                run_publish(task, run.pk)
                swept += 1
        republish = model.objects.filter(
            status=RunStatus.QUEUED, updated_at__lt=now - timedelta(seconds=settings.RUN_REPUBLISH_SECONDS)
        ).values_list("pk", flat=True)
        for pk in republish:
            run_publish(task, pk)
    return swept
