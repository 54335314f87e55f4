"""Test helpers for code generation: a random source that repeats, a database that fails on cue,
disks that fill up."""

import csv
import errno
import io
import os
import random
import resource
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection

from backoffice.campaign.codes import ALPHABET, SYMBOLS_PER_CODE
from backoffice.campaign.models import AccessCode, AccessCodeBatch


def repeating_source(pool: list[str], *, seed: int = 5) -> Callable[[int], bytes]:
    """A stand-in for ``codes.random_bytes`` whose codes are drawn (with repeats) from ``pool``.

    Each byte is a symbol's index in ALPHABET, so none is rejected and every draw of the
    generator starts on a code boundary: draws are whole codes of the pool.
    """
    rng = random.Random(seed)
    encoded = [bytes(ALPHABET.index(symbol) for symbol in value.replace("-", "")) for value in pool]
    lock = threading.Lock()

    def random_bytes(n: int) -> bytes:
        with lock:
            picks = [rng.choice(encoded) for _ in range(n // SYMBOLS_PER_CODE + 1)]
        return b"".join(picks)[:n]

    return random_bytes


@contextmanager
def code_batches_fail_after(batches: int, *, batch_size: int = 10) -> Iterator[None]:
    """Make the database refuse every batch of codes after the first ``batches`` (a trigger).

    On PostgreSQL a statement trigger counts batches in a sequence, which no transaction rolls
    back; on SQLite a row trigger refuses a batch's codes beyond ``batches * batch_size``. The
    trigger lives only as long as the block.
    """
    # Statements built from constants of this module: nothing here comes from outside.
    table = connection.ops.quote_name(AccessCode._meta.db_table)
    message = "injected failure: no space left on device"
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            cursor.execute("CREATE SEQUENCE test_code_batches")
            cursor.execute(
                "CREATE FUNCTION test_code_batches_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF nextval('test_code_batches') > {batches} THEN RAISE EXCEPTION '{message}'; END IF; "
                "RETURN NULL; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER test_code_batches_fail BEFORE INSERT ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION test_code_batches_fail()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER test_code_batches_fail BEFORE INSERT ON {table} "  # noqa: S608
                f"WHEN (SELECT count(*) FROM {table} WHERE batch_id = NEW.batch_id) >= {batches * batch_size} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if postgresql:
                cursor.execute(f"DROP TRIGGER test_code_batches_fail ON {table}")
                cursor.execute("DROP FUNCTION test_code_batches_fail()")
                cursor.execute("DROP SEQUENCE test_code_batches")
            else:
                cursor.execute("DROP TRIGGER test_code_batches_fail")


def csv_records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def batch_values(batch: AccessCodeBatch) -> list[str]:
    return sorted(AccessCode.objects.filter(batch=batch).values_list("value", flat=True))


def csv_values(text: str) -> list[str]:
    return sorted(record["code"] for record in csv_records(text))


class SmallDisk(io.FileIO):
    """A file on a disk with room for ``size`` bytes: a write that does not fit writes what fits,
    and the next one fails with ENOSPC, as a full disk does."""

    def __init__(self, path, *, size: int) -> None:
        super().__init__(path, "wb")
        self.size = size

    def write(self, data) -> int:
        room = self.size - self.tell()
        if room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.name)
        return super().write(data[:room])


@contextmanager
def file_size_limit(size: int) -> Iterator[None]:
    """Files this process writes stop at ``size`` bytes (RLIMIT_FSIZE): the write that crosses
    the limit writes what fits, the next fails with EFBIG, as a full disk would with ENOSPC."""
    before = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, before[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, before)
        signal.signal(signal.SIGXFSZ, handler)


def whole_line_values(data: bytes) -> list[str]:
    """The codes of a CSV file that must end on a whole line (no row cut short)."""
    text = data.decode()
    assert text.endswith("\r\n"), f"the file ends part-way through a line: {text[-40:]!r}"
    return csv_values(text)


def codes_bulk_insert(batch: AccessCodeBatch, count: int, *, start: int = 0) -> list[str]:
    """``count`` codes of ``batch`` in one set-based INSERT (PostgreSQL), and their first and last values.

    Digits only, ``start`` onwards: ``0000-0000-0000-0001``, ... Fast enough for a batch of
    hundreds of thousands, which factories would make one row at a time.
    """
    table = connection.ops.quote_name(AccessCode._meta.db_table)
    digits = "lpad(n::text, 16, '0')"
    value = " || '-' || ".join(f"substr({digits}, {i}, 4)" for i in (1, 5, 9, 13))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (value, max_usages, batch_id) "  # noqa: S608 - constants of this module
            f"SELECT {value}, 1, %s FROM generate_series(%s, %s) AS n",
            [batch.pk, start + 1, start + count],
        )
    AccessCodeBatch.objects.filter(pk=batch.pk).update(created_count=count, requested_count=count)
    batch.refresh_from_db()
    return ["-".join(f"{n:016d}"[i : i + 4] for i in (0, 4, 8, 12)) for n in (start + 1, start + count)]
