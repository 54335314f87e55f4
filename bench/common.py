"""Helpers shared by the benchmarks: a scratch PostgreSQL database, Django set-up, percentiles."""

import contextlib
import math
import os
import sys
from collections.abc import Iterator
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
