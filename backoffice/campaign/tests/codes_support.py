"""Test helpers for code generation: a random source that repeats, a database that fails on cue."""

import csv
import io
import random
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
def code_inserts_fail_beyond(limit: int) -> Iterator[None]:
    """Make the database refuse to store more than ``limit`` codes in one batch (a trigger)."""
    # Statements built from constants of this module: nothing here comes from outside.
    table = connection.ops.quote_name(AccessCode._meta.db_table)
    message = "injected failure: no space left on device"
    on_table = f" ON {table}" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_code_inserts_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608
                f"IF (SELECT count(*) FROM {table} WHERE batch_id = NEW.batch_id) >= {limit} THEN "
                f"RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER test_code_inserts_fail BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION test_code_inserts_fail()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER test_code_inserts_fail BEFORE INSERT ON {table} "  # noqa: S608
                f"WHEN (SELECT count(*) FROM {table} WHERE batch_id = NEW.batch_id) >= {limit} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER test_code_inserts_fail{on_table}")
            if connection.vendor == "postgresql":
                cursor.execute("DROP FUNCTION test_code_inserts_fail()")


def csv_records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def batch_values(batch: AccessCodeBatch) -> list[str]:
    return sorted(AccessCode.objects.filter(batch=batch).values_list("value", flat=True))


def csv_values(text: str) -> list[str]:
    return sorted(record["code"] for record in csv_records(text))
