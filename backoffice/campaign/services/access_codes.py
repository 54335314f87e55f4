"""Bulk generation of access codes: the one machinery behind the command and the admin action.

A run makes one ``AccessCodeBatch`` row, then inserts codes batch by batch, each batch in its own
transaction, and learns which codes were new: on PostgreSQL a COPY that either stores the whole
batch or fails on a value already taken, and then ``INSERT ... ON CONFLICT DO NOTHING
RETURNING`` for that batch. Codes that collided, inside the draw, with existing rows or
with a concurrent run, are left out and replaced by the next batch's draw, until exactly the
requested number exist. On PostgreSQL two batches are in flight at a time, each on a connection
of its own (``_Streams``). Only after its commit are a batch's codes written to the CSV and
flushed, by the run's own thread: the file never holds a code the database does not, and a
failure part-way leaves both agreeing on the batches committed so far.
"""

import io
import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from datetime import datetime
from itertools import islice
from typing import Protocol, TextIO

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from backoffice.campaign.codes import access_code_values
from backoffice.campaign.models import AccessCode, AccessCodeBatch, Film
from backoffice.campaign.resources.access_codes import AccessCodeCsv

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 10_000
MAX_COUNT = 10_000_000
MAX_BATCH_SIZE = 100_000
MAX_USAGES = 1_000
# With ~79 bits a code, a draw that adds no new code at all happens only when the random source
# is broken; stop instead of looping for ever.
MAX_FRUITLESS_DRAWS = 50
# Batches in flight at once on PostgreSQL, each on a connection of its own (see _Streams).
STREAMS = 2
MAX_STREAMS = 8

ProgressCallback = Callable[[int, int], None]


class AccessCodeGenerationError(Exception):
    """A run stopped part-way. The message says how many codes were made and where they are."""

    def __init__(self, message: str, *, batch: AccessCodeBatch, created: int, written: int) -> None:
        super().__init__(message)
        self.batch = batch
        self.created = created
        self.written = written


class Inserter(Protocol):
    def __call__(
        self, values: Sequence[str], *, max_usages: int, film_id: int | None, batch_id: int, created_at: datetime
    ) -> list[str]: ...


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
    streams: int | None = None,
) -> AccessCodeBatch:
    """Create exactly ``count`` new codes and return their (completed) batch.

    ``output``, when given, receives the CSV (header, then each batch's rows once committed).
    ``progress(created, count)`` is called after each batch. Must run outside a transaction so
    that each batch commits on its own; batches are then inserted ``streams`` at a time, each
    stream on a database connection of its own (default: ``STREAMS`` on PostgreSQL, else one).
    Raises ``AccessCodeGenerationError`` when a run fails part-way; the batch row is then
    marked failed with the same message.
    """
    if streams is None:
        streams = STREAMS if connection.vendor == "postgresql" else 1
    _check_bounds(count=count, batch_size=batch_size, max_usages=max_usages, streams=streams)
    if connection.in_atomic_block:
        streams = 1  # other connections could not see the batch row, nor commit on their own
    insert = INSERTERS[inserter_for(connection)]
    csv = AccessCodeCsv()
    batch = AccessCodeBatch.objects.create(
        requested_count=count, film=film, max_usages=max_usages, source=source, created_by=created_by
    )
    row = {"max_usages": max_usages, "film_id": film.pk if film else None, "batch_id": batch.pk}
    created = written = fruitless = 0
    failure: BaseException | None = None  # what stopped the run
    file_error = _write(output, csv.header()) if output is not None else None
    in_flight: dict[Future, int] = {}  # batch -> how many codes it may add

    def going() -> bool:
        return failure is None and file_error is None

    with _Streams(streams) as pool:
        while in_flight or (going() and created < count):
            try:
                # Draws that collided (inside the draw, with existing rows, with a concurrent
                # run or stream) are simply not inserted; later draws replace them. Sorted, so
                # two transactions meeting the same values take them in one order and cannot
                # deadlock.
                while going() and len(in_flight) < streams and (wanted := count - created - sum(in_flight.values())):
                    candidates = sorted(set(access_code_values(min(batch_size, wanted))))
                    in_flight[pool.submit(_insert_batch, insert, candidates, **row)] = len(candidates)
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    del in_flight[future]
                    values, created_at = future.result()
                    created += len(values)
                    # Once committed, into the file: also when another batch has failed meanwhile.
                    if output is not None and file_error is None:
                        rows = csv.generated_rows(
                            values, max_usages=max_usages, film=film, batch_id=batch.pk, created_at=created_at
                        )
                        file_error = _write(output, rows)
                        written += 0 if file_error else len(values)
                    if progress is not None:
                        progress(created, count)
                    fruitless = 0 if values else fruitless + 1
                    if fruitless >= MAX_FRUITLESS_DRAWS:
                        raise RuntimeError(
                            f"{fruitless} draws in a row gave no new code; the random source looks broken"
                        )
            except (Exception, KeyboardInterrupt) as exc:
                # Stop drawing, but let the batches in flight finish: their codes are committed
                # or not, and the file and the count must say which. A second interrupt while
                # they finish is not held back.
                if failure is not None and isinstance(exc, KeyboardInterrupt):
                    raise
                failure = failure or exc
    failure = failure or file_error
    if failure is not None:
        message = _failure_message(failure, batch=batch, count=count, created=created, written=written, output=output)
        batch.created_count = created
        _batch_finish(batch, status=AccessCodeBatch.Status.FAILED, error=message)
        raise AccessCodeGenerationError(message, batch=batch, created=created, written=written) from failure
    batch.created_count = created
    _batch_finish(batch, status=AccessCodeBatch.Status.COMPLETED)
    return batch


def _insert_batch(insert: Inserter, candidates: list[str], *, batch_id: int, **row) -> tuple[list[str], datetime]:
    """One batch in one transaction: the new codes among ``candidates``, and the batch's count."""
    with transaction.atomic():
        created_at = timezone.now()
        values = insert(candidates, batch_id=batch_id, created_at=created_at, **row)
        # Last, so that streams of one run hold the batch row only while they commit.
        AccessCodeBatch.objects.filter(pk=batch_id).update(created_count=F("created_count") + len(values))
    return values, created_at


def _write(output: TextIO, text: str) -> Exception | None:
    """Write and flush ``text``; the error instead of raising it, so that the run can wind down."""
    try:
        output.write(text)
        output.flush()
    except Exception as exc:  # reported in the run's failure message
        return exc
    return None


class _Streams:
    """``size`` threads, each inserting batches on a database connection of its own.

    With one stream, the work runs in the calling thread (and its transaction, if any). The
    server's work for a batch (the unique index, the constraint checks) keeps one core busy;
    two streams keep two busy while this process draws codes and writes the CSV.
    """

    def __init__(self, size: int) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [] if size == 1 else [threading.Thread(target=self._work, daemon=True) for _ in range(size)]

    def __enter__(self) -> "_Streams":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        for _thread in self._threads:
            self._jobs.put(None)
        if exc_type is None:  # else an interrupted run is leaving: do not wait on the database
            for thread in self._threads:
                thread.join()

    def submit(self, function: Callable, *args, **kwargs) -> Future:
        future: Future = Future()
        job = (future, function, args, kwargs)
        if self._threads:
            self._jobs.put(job)
        else:
            self._run(job)
        return future

    def _work(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                self._run(job)
        finally:
            connection.close()  # this thread's own

    @staticmethod
    def _run(job) -> None:
        future, function, args, kwargs = job
        future.set_running_or_notify_cancel()
        try:
            future.set_result(function(*args, **kwargs))
        except BaseException as exc:  # handed to the waiting thread
            future.set_exception(exc)


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


def inserter_for(db) -> str:
    """Which way of inserting codes (a key of ``INSERTERS``) the database ``db`` supports."""
    if db.vendor == "postgresql":
        return "postgresql"
    # ON CONFLICT ... RETURNING needs SQLite 3.35; json_each feeds it one parameter, not thousands.
    if db.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 35) and db.features.supports_json_field:
        return "sqlite"
    return "portable"


def _check_bounds(*, count: int, batch_size: int, max_usages: int, streams: int) -> None:
    for name, value, maximum in (
        ("count", count, MAX_COUNT),
        ("batch_size", batch_size, MAX_BATCH_SIZE),
        ("max_usages", max_usages, MAX_USAGES),
        ("streams", streams, MAX_STREAMS),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
            raise ValueError(f"{name} must be a whole number from 1 to {maximum:,}, not {value!r}.")


def _insert_statement(select: str) -> str:
    opts = AccessCode._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(opts.get_field(name).column) for name in _COLUMNS)
    value = quote(opts.get_field("value").column)
    return f"INSERT INTO {quote(opts.db_table)} ({columns}) {select} ON CONFLICT ({value}) DO NOTHING RETURNING {value}"


_COLUMNS = ("value", "max_usages", "valid_for", "batch", "created_at")


def _insert_returning(sql: str, values_param: str, *, max_usages, film_id, batch_id, created_at) -> list[str]:
    params = [max_usages, film_id, batch_id, connection.ops.adapt_datetimefield_value(created_at), values_param]
    with connection.cursor() as cursor, connection.wrap_database_errors:
        # The DB-API cursor, here and for COPY: with DEBUG on, Django's cursor would keep every
        # statement (hundreds of kilobytes of codes each) in its query log, growing with the run.
        cursor.cursor.execute(sql, params)
        return [row[0] for row in cursor.cursor.fetchall()]


def _postgresql_sql() -> str:
    # One text parameter split by the server: cheaper than thousands of parameters or a COPY
    # into a temporary table. Casts, because an untyped NULL in a SELECT list would be text.
    types = [AccessCode._meta.get_field(name).db_type(connection) for name in _COLUMNS[1:]]
    casts = ", ".join(f"CAST(%s AS {db_type})" for db_type in types)
    return _insert_statement(f"SELECT v, {casts} FROM unnest(string_to_array(%s, E'\\n')) AS v")  # noqa: S608 - types from the model


def _sqlite_sql() -> str:
    # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.
    return _insert_statement("SELECT value, %s, %s, %s, %s FROM json_each(%s) WHERE true")


def _insert_postgresql(values, *, max_usages, film_id, batch_id, created_at) -> list[str]:
    # Fast path: COPY straight into the table, about a quarter less work for the server than
    # INSERT ... ON CONFLICT. A value already taken fails the whole COPY; with ~79 random bits
    # that happens only when something forces it, and the same values then go through
    # ON CONFLICT DO NOTHING RETURNING, which says which of them were new.
    film = "\\N" if film_id is None else str(film_id)
    tail = f"\t{max_usages}\t{film}\t{batch_id}\t{created_at.isoformat()}\n"
    rows = tail.join(values) + tail
    try:
        with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.cursor.copy_expert(_copy_sql(), io.StringIO(rows), size=len(rows))
    except IntegrityError:
        row = {"max_usages": max_usages, "film_id": film_id, "batch_id": batch_id, "created_at": created_at}
        return _insert_returning(_postgresql_sql(), "\n".join(values), **row)
    return list(values)


def _copy_sql() -> str:
    opts = AccessCode._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(opts.get_field(name).column) for name in _COLUMNS)
    return f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN"


def _insert_sqlite(values, **row) -> list[str]:
    return _insert_returning(_sqlite_sql(), json.dumps(values), **row)


def _insert_portable(values, *, max_usages, film_id, batch_id, created_at) -> list[str]:
    """Any database: leave out the values already taken, insert the rest."""
    for _attempt in range(3):
        taken: set[str] = set()
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            taken.update(AccessCode.objects.filter(value__in=chunk).values_list("value", flat=True))
        fresh = [value for value in values if value not in taken]
        try:
            with transaction.atomic():
                AccessCode.objects.bulk_create(
                    AccessCode(
                        value=value,
                        max_usages=max_usages,
                        valid_for_id=film_id,
                        batch_id=batch_id,
                        created_at=created_at,
                    )
                    for value in fresh
                )
        except IntegrityError:
            continue  # a concurrent writer took one of them since the check: check again
        return fresh
    raise RuntimeError("Other writers kept taking the same codes; try again.")


INSERTERS: dict[str, Inserter] = {
    "postgresql": _insert_postgresql,
    "sqlite": _insert_sqlite,
    "portable": _insert_portable,
}


def _failure_message(exc, *, batch, count, created, written, output) -> str:
    reason = (str(exc).strip().splitlines() or [""])[0].rstrip(".") or type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        reason = "interrupted"
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
        f"{message}, but only {written:,} of them reached {where}; "
        "download the batch from the admin for the complete list."
    )


def _batch_finish(batch: AccessCodeBatch, *, status: str, error: str = "") -> None:
    batch.status = status
    batch.error = error
    batch.finished_at = timezone.now()
    try:
        batch.save(update_fields=["status", "error", "finished_at"])
    except Exception:
        # The database may be what failed; the caller still reports the run's outcome.
        if status == AccessCodeBatch.Status.COMPLETED:
            raise
        logger.exception("Could not mark access code batch %s as %s", batch.pk, status)
