"""Helpers shared by the benchmarks: a scratch PostgreSQL database, Django set-up, percentiles."""

import contextlib
import io
import math
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Benchmarks run on PostgreSQL: set DATABASE_URL=postgres://... (or run them through `make bench`).")
    return url


@contextlib.contextmanager
def scratch_database(suffix: str) -> Iterator[str]:
    """Create an empty database beside the one in DATABASE_URL, yield its URL, drop it afterwards."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(postgres_url())
    base = parts.path.lstrip("/") or "postgres"
    name = f"{base}_{suffix}"[:63]
    # Connect to the maintenance database: the one in the URL may not exist yet.
    admin_dsn = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))

    def run(statement: sql.Composable) -> None:
        connection = psycopg2.connect(admin_dsn)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    run(drop)
    run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        run(drop)


def bench_scale() -> int:
    """BENCH_SCALE: how many times the benchmarks' campaign to load (1, the default, is one campaign)."""
    raw = os.environ.get("BENCH_SCALE", "1")
    if not raw.isdigit() or int(raw) < 1:
        sys.exit(f"BENCH_SCALE must be a whole number of at least 1, not {raw!r}.")
    return int(raw)


def reuse_requested() -> bool:
    return os.environ.get("BENCH_REUSE", "") == "1"


@contextlib.contextmanager
def campaign_database(suffix: str) -> Iterator[str]:
    """The database a benchmark loads its campaign into: a scratch one (dropped afterwards), or with
    BENCH_REUSE=1 a kept one, BENCH_DATABASE or ``<base>_bench_<scale>x``, created when missing and
    never dropped, so a large campaign is loaded once and timed many times."""
    if not reuse_requested():
        with scratch_database(suffix) as url:
            yield url
        return
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(postgres_url())
    base = parts.path.lstrip("/") or "postgres"
    name = os.environ.get("BENCH_DATABASE") or f"{base}_bench_{bench_scale()}x"
    connection = psycopg2.connect(urlunsplit(parts._replace(scheme="postgresql", path="/postgres")))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
    yield urlunsplit(parts._replace(path=f"/{name}"))


def copy_rows(cursor, table: str, columns: list[str], rows: Iterable[tuple], chunk: int = 50_000) -> int:
    """COPY ``rows`` into ``table`` a chunk at a time: memory stays flat whatever the count.
    Values are written as text; None is NULL. Returns the number of rows copied."""
    copied = 0
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    buffer = io.StringIO()
    pending = 0
    for row in rows:
        buffer.write("\t".join("\\N" if value is None else str(value) for value in row))
        buffer.write("\n")
        pending += 1
        if pending == chunk:
            copied += _flush(cursor, statement, buffer, pending)
            buffer, pending = io.StringIO(), 0
    if pending:
        copied += _flush(cursor, statement, buffer, pending)
    return copied


def _flush(cursor, statement: str, buffer: io.StringIO, rows: int) -> int:
    buffer.seek(0)
    cursor.copy_expert(statement, buffer)
    return rows


def setup_django(database_url: str, **env: str) -> None:
    """Configure Django on the given database (DEBUG=1 unless told otherwise) and migrate it."""
    os.environ.update(
        # OTP_REQUIRED=0: the benchmarks time pages, not the second factor of the superuser they use.
        {
            "DJANGO_SETTINGS_MODULE": "backoffice.settings",
            "DEBUG": "1",
            "OTP_REQUIRED": "0",
            "DATABASE_URL": database_url,
            **env,
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
