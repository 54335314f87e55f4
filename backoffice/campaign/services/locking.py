"""Row-locked writes with bounded waits: a write that waits too long gets a clear "busy" error."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import OperationalError, connection, transaction

from backoffice.campaign import metrics

# How long a write waits for another writer's row lock before giving up (PostgreSQL).
# A booking holds its locks for a few milliseconds, so seconds of waiting mean something is stuck.
DEFAULT_LOCK_TIMEOUT_MS = 3000

BUSY_MESSAGE = (
    "Someone else is saving a booking for this screening or access code right now. Please try again in a moment."
)
# SQLSTATEs of a lock wait that gave up: lock_not_available (lock_timeout) and deadlock_detected.
_LOCK_WAIT_SQLSTATES = {"55P03", "40P01"}


@contextmanager
def locked_write() -> Iterator[None]:
    """One transaction (a savepoint inside another) whose lock waits are bounded.

    A lock wait that gives up (``RESERVATION_LOCK_TIMEOUT_MS``, 3 s by default) becomes a
    ValidationError with ``BUSY_MESSAGE``, and everything written in the block is rolled back.
    """
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                _bound_lock_waits()
            yield
    except OperationalError as error:
        if _is_lock_wait(error):
            metrics.LOCK_WAIT_TIMEOUTS.inc()
            raise ValidationError({NON_FIELD_ERRORS: [BUSY_MESSAGE]}) from error
        raise


def _bound_lock_waits() -> None:
    # A setting of the transaction, not a query: the ORM has no way to say it, so it is the one
    # statement written out. set_config(..., true) is SET LOCAL: it ends with the transaction.
    timeout = getattr(settings, "RESERVATION_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(timeout)}ms"])


def _is_lock_wait(error: OperationalError) -> bool:
    cause = error.__cause__
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    if code:
        return code in _LOCK_WAIT_SQLSTATES
    # SQLite gives up after its busy timeout with "database is locked".
    return "database is locked" in str(error)
