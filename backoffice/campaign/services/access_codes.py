"""Bulk generation of access codes: the one machinery behind the command and the admin action.

A run makes one ``AccessCodeBatch`` row, then inserts codes batch by batch, each batch in its own
transaction, and learns which codes were new: on PostgreSQL a COPY that either stores the whole
batch or fails on a value already taken, and then ``INSERT ... ON CONFLICT DO NOTHING
RETURNING`` for that batch; on SQLite a look-up of the values taken and a ``bulk_create`` of the
rest. Codes that collided, inside the draw, with existing rows or with a concurrent run, are
left out and replaced by the next batch's draw, until exactly the requested number exist. Only
after its commit are a batch's codes written to the CSV, straight to the file (``CsvFile``): the
file never holds a code the database does not, nor part of a line, and a failure part-way leaves
the message saying exactly how many codes each holds.
"""

import io
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import BinaryIO, TextIO

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from backoffice.campaign.codes import access_code_values
from backoffice.campaign.models import AccessCode, AccessCodeBatch, Film, Screening
from backoffice.campaign.resources.access_codes import AccessCodeCsv

logger = logging.getLogger(__name__)

# Codes per transaction. Fewer, larger commits cost less in all; past about this size they
# gain nothing more and only hold more in memory (docs/access-codes.md has the figures).
DEFAULT_BATCH_SIZE = 10_000
# Twice the largest run docs/access-codes.md recommends (10,000,000 codes, a campaign ten times
# the national one); a run that size writes a CSV of about 1.2 GB.
MAX_COUNT = 20_000_000
MAX_BATCH_SIZE = 100_000
MAX_USAGES = 1_000
# With ~79 bits a code, a draw that adds no new code at all happens only when the random source
# is broken; stop instead of looping for ever.
MAX_FRUITLESS_DRAWS = 50
# SQLite refuses statements with too many parameters: look taken values up this many at a time.
LOOKUP_CHUNK = 500
MARK_FAILED_ATTEMPTS = 3

ProgressCallback = Callable[[int, int], None]


class RunCancelled(Exception):
    """Raised by a progress callback to stop a run at the batch boundary it was called at."""


class RunSuperseded(Exception):
    """Raised by a progress callback when another worker took the run over: stop, touching nothing."""


class AccessCodeGenerationError(Exception):
    """A run stopped part-way. The message says how many codes were made and where they are."""

    def __init__(self, message: str, *, batch: AccessCodeBatch, created: int, written: int) -> None:
        super().__init__(message)
        self.batch = batch
        self.created = created
        self.written = written


def access_codes_film_warning(film: Film | None) -> str:
    """Why codes valid only for ``film`` could not be booked today ("" when they can): it has no
    screening still taking bookings. Said before generating, never refused: codes are often made
    before the schedule is loaded."""
    if film is None or Screening.objects.filter(film=film).bookable().not_cancelled().exists():
        return ""
    return (
        f"{film} has no upcoming screening taking bookings: codes valid only for it cannot be booked "
        "until one is scheduled."
    )


def access_codes_generate(
    *,
    count: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    film: Film | None = None,
    max_usages: int = 1,
    source: str,
    created_by: AbstractBaseUser | None = None,
    output: TextIO | None = None,
    progress: ProgressCallback | None = None,
    batch: AccessCodeBatch | None = None,
) -> AccessCodeBatch:
    """Create exactly ``count`` new codes and return their (completed) batch.

    ``output``, when given, receives the CSV (header, then each batch's rows once committed).
    ``progress(created, count)`` is called after each batch. Outside a transaction each batch
    commits on its own. Raises ``AccessCodeGenerationError`` when a run fails part-way; the
    batch row is then marked failed with the same message (cancelled, when ``progress`` raised
    ``RunCancelled``). ``batch``, when given, is a row already made and marked running for this
    run (a background run's record); otherwise one is made. A batch that already holds codes
    (a resumed run) gets the rest, and ``output`` only their rows.
    """
    _check_bounds(count=count, batch_size=batch_size, max_usages=max_usages)
    insert = _insert_postgresql if connection.vendor == "postgresql" else _insert_sqlite
    csv = AccessCodeCsv()
    if batch is None:
        batch = AccessCodeBatch.objects.create(
            requested_count=count, film=film, max_usages=max_usages, source=source, created_by=created_by
        )
    created = written = batch.created_count
    fruitless = 0
    try:
        if output is not None and created == 0:
            _write(output, csv.header())
        while created < count:
            # Draws that collided (inside the draw, with existing rows, with a concurrent run) are
            # simply not inserted; the next draw replaces them. Sorted, so two runs meeting the
            # same values take them in one order and cannot deadlock.
            candidates = sorted(set(access_code_values(min(batch_size, count - created))))
            with transaction.atomic():
                created_at = timezone.now()
                values = insert(
                    candidates,
                    max_usages=max_usages,
                    film_id=film.pk if film else None,
                    batch_id=batch.pk,
                    created_at=created_at,
                )
                batch.created_count = created + len(values)
                # Progress, not a change anyone made: the history keeps the start and the end.
                batch.skip_history_when_saving = True
                batch.save(update_fields=["created_count", "updated_at"])
                del batch.skip_history_when_saving
            created = batch.created_count
            if output is not None:
                _write(
                    output,
                    csv.batch_rows(values, max_usages=max_usages, film=film, batch_id=batch.pk, created_at=created_at),
                )
                written = created
            if progress is not None:
                progress(created, count)
            fruitless = 0 if values else fruitless + 1
            if fruitless >= MAX_FRUITLESS_DRAWS:
                raise RuntimeError(f"{fruitless} draws in a row gave no new code; the random source looks broken")
        _batch_finish(batch, status=AccessCodeBatch.Status.COMPLETED)
    except RunSuperseded:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        message = _failure_message(exc, batch=batch, count=count, created=created, written=written, output=output)
        batch.created_count = created
        cancelled = isinstance(exc, RunCancelled)
        status = AccessCodeBatch.Status.CANCELLED if cancelled else AccessCodeBatch.Status.FAILED
        _batch_finish(batch, status=status, error=message)
        raise AccessCodeGenerationError(message, batch=batch, created=created, written=written) from exc
    return batch


def _write(output: TextIO, text: str) -> None:
    output.write(text)
    output.flush()


class CsvFile:
    """A run's CSV file, written one whole batch of lines at a time.

    ``file`` is opened unbuffered (``buffering=0``), so nothing waits in memory to be written
    later, by a flush or a close, after the run has reported what the file holds. A write that
    fails part-way (a full disk) is cut back to the end of the last whole batch: the file never
    holds part of a line, and holds exactly the codes counted as written.
    """

    def __init__(self, file: BinaryIO, *, name: str | None = None) -> None:
        self.file = file
        self.name = name or str(file.name)  # what messages call it
        self.end = file.tell()

    def write(self, text: str) -> None:
        data = memoryview(text.encode())
        try:
            while data:
                data = data[self.file.write(data) :]
        except OSError:
            self.file.truncate(self.end)
            self.file.seek(self.end)
            raise
        self.end = self.file.tell()

    def flush(self) -> None:
        """Nothing to do: every write went to the file."""

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> "CsvFile":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def access_code_batch_csv(*, batch: AccessCodeBatch, chunk_size: int = DEFAULT_BATCH_SIZE) -> Iterator[str]:
    """The CSV of every code of ``batch``, read back from the database, as text chunks.

    Same columns and rendering as the file of the run that made the batch; memory stays at one
    chunk whatever the batch size (a server-side cursor on PostgreSQL).
    """
    csv = AccessCodeCsv()
    yield csv.header()
    rows = (
        AccessCode.objects.filter(batch=batch)
        .order_by("pk")
        .values_list("value", "max_usages", "valid_for_id", "batch_id", "created_at")
        .iterator(chunk_size=chunk_size)
    )
    while chunk := list(islice(rows, chunk_size)):
        yield csv.rows(chunk)


def _check_bounds(*, count: int, batch_size: int, max_usages: int) -> None:
    for name, value, maximum in (
        ("count", count, MAX_COUNT),
        ("batch_size", batch_size, MAX_BATCH_SIZE),
        ("max_usages", max_usages, MAX_USAGES),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
            raise ValueError(f"{name} must be a whole number from 1 to {maximum:,}, not {value!r}.")


def _insert_postgresql(
    values: Sequence[str], *, max_usages: int, film_id: int | None, batch_id: int, created_at: datetime
) -> list[str]:
    """Insert ``values``, skipping any already taken; return those inserted."""
    film = "\\N" if film_id is None else str(film_id)
    tail = f"\t{max_usages}\t{film}\t{batch_id}\t{created_at.isoformat()}\n"
    rows = tail.join(values) + tail
    # COPY, PostgreSQL's bulk load, takes the batch whole or not at all: a value already taken
    # fails it, and the same values then go through ON CONFLICT DO NOTHING RETURNING, which says
    # which of them were new. Both through the DB-API cursor: with DEBUG on, Django's cursor
    # would keep every statement, and its codes, in the query log for the rest of the run.
    try:
        with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.cursor.copy_expert(f"COPY {_table()} ({_columns()}) FROM STDIN", io.StringIO(rows), size=len(rows))
    except IntegrityError:
        params = [max_usages, film_id, batch_id, created_at, "\n".join(values)]
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.cursor.execute(_insert_new_sql(), params)
            return [row[0] for row in cursor.cursor.fetchall()]
    return list(values)


_COLUMNS = ("value", "max_usages", "valid_for", "batch", "created_at")


def _table() -> str:
    return connection.ops.quote_name(AccessCode._meta.db_table)


def _columns() -> str:
    return ", ".join(connection.ops.quote_name(AccessCode._meta.get_field(name).column) for name in _COLUMNS)


def _insert_new_sql() -> str:
    # The values as one text parameter split by the server: a batch may hold more values than a
    # statement may take parameters. Casts, because an untyped NULL in a SELECT list is text.
    types = [AccessCode._meta.get_field(name).db_type(connection) for name in _COLUMNS[1:]]
    casts = ", ".join(f"CAST(%s AS {db_type})" for db_type in types)
    value = connection.ops.quote_name(AccessCode._meta.get_field("value").column)
    return (
        f"INSERT INTO {_table()} ({_columns()}) SELECT v, {casts} FROM unnest(string_to_array(%s, E'\\n')) AS v "  # noqa: S608 - names and types from the model
        f"ON CONFLICT ({value}) DO NOTHING RETURNING {value}"
    )


def _insert_sqlite(
    values: Sequence[str], *, max_usages: int, film_id: int | None, batch_id: int, created_at: datetime
) -> list[str]:
    """Insert ``values``, skipping any already taken; return those inserted.

    Runs in the batch's transaction, which on SQLite holds the database's write lock from its
    start (``transaction_mode`` IMMEDIATE): no one can take a value between look-up and insert.
    """
    taken: set[str] = set()
    for start in range(0, len(values), LOOKUP_CHUNK):
        chunk = values[start : start + LOOKUP_CHUNK]
        taken.update(AccessCode.objects.filter(value__in=chunk).values_list("value", flat=True))
    fresh = [value for value in values if value not in taken]
    AccessCode.objects.bulk_create(
        AccessCode(value=value, max_usages=max_usages, valid_for_id=film_id, batch_id=batch_id, created_at=created_at)
        for value in fresh
    )
    return fresh


def _failure_message(exc, *, batch, count, created, written, output) -> str:
    if isinstance(exc, KeyboardInterrupt):
        reason = "interrupted"
    elif isinstance(exc, RunCancelled):
        reason = "cancelled by staff"
    elif isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror
    else:
        reason = first_line(exc).rstrip(".") or type(exc).__name__
    where = getattr(output, "name", None)
    where = str(where) if isinstance(where, str) else "the CSV"
    message = (
        f"Stopped after {created:,} of {count:,} codes: {reason}. Batch {batch.pk} holds the {created:,} codes made"
    )
    if output is None:
        return f"{message}; download them from the batch in the admin."
    if written == created:
        return f"{message}, all written to {where}."
    return (
        f"{message}, but {where} holds only {written:,} of them, each on a whole line; "
        "download the batch from the admin for the complete list."
    )


def first_line(exc: BaseException) -> str:
    """The first line of an error's text: database errors often add hints on further lines."""
    return (str(exc).strip().splitlines() or [""])[0]


def _batch_finish(batch: AccessCodeBatch, *, status: str, error: str = "") -> None:
    batch.status = status
    batch.error = error
    batch.finished_at = timezone.now()
    fields = ["status", "error", "finished_at", "created_count", "updated_at"]
    if status == AccessCodeBatch.Status.COMPLETED:
        batch.save(update_fields=fields)
        return
    # The database may be what failed. A connection it dropped is replaced by a new one (not
    # inside a transaction, where that would break it), and a server restarting gets a few
    # seconds; if it stays away, the admin shows the batch as stale.
    for attempt in range(1, MARK_FAILED_ATTEMPTS + 1):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
        try:
            batch.save(update_fields=fields)
            return
        except DatabaseError:
            logger.warning("Could not mark access code batch %s as failed (attempt %s)", batch.pk, attempt)
            if connection.in_atomic_block:
                break
            time.sleep(attempt)
    logger.error("Access code batch %s stays marked running: %s", batch.pk, error)
