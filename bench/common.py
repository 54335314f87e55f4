"""What the benchmarks share: a scratch PostgreSQL database with the project's schema."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def scratch_database(label: str) -> Iterator[str]:
    """Create a fresh database next to DATABASE_URL's, migrate it, and drop it afterwards.

    Django is set up on the scratch database (DEBUG=1 for the settings' sake, then query
    logging off as in production), so the benchmark never touches real data.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (make bench starts one when it is unset).")
    import dj_database_url
    import psycopg2

    server = dj_database_url.parse(url)
    name = f"bench_{label}_{os.getpid()}"
    admin = psycopg2.connect(
        dbname=server["NAME"] or "postgres",
        user=server["USER"],
        password=server["PASSWORD"],
        host=server["HOST"],
        port=server["PORT"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
        _setup_django()
        yield name
    finally:
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    os.environ["DEBUG"] = "1"
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    # Production runs with DEBUG off: no per-query logging to slow the measured code down.
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
