"""The transitions every background run shares (``RunStatus``), as conditional updates.

Code generation runs (``AccessCodeBatch``) and spreadsheet runs (``DataRun``) have one life:
queued -> running -> completed, failed or cancelled. Each step is one UPDATE conditional on the
state it leaves, so a message delivered twice, a Cancel racing a finish, or a sweeper racing a
heartbeat each take effect once.
"""

from django.db.models import Model
from django.db.models.functions import Now
from django.utils import timezone

from backoffice.campaign.models import RunStatus


def run_claim(model: type[Model], *, pk: int) -> bool:
    """queued -> running; False when another delivery claimed the run first, or it was cancelled."""
    return bool(model.objects.filter(pk=pk, status=RunStatus.QUEUED).update(status=RunStatus.RUNNING, updated_at=Now()))


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


def run_fail_stale(model: type[Model], *, pk: int, heartbeat, message_field: str, message: str) -> bool:
    """running -> failed, unless the run's heartbeat moved since ``heartbeat`` was read."""
    return bool(
        model.objects.filter(pk=pk, status=RunStatus.RUNNING, updated_at=heartbeat).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), **{message_field: message}
        )
    )
