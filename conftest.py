"""Project-wide test set-up: say which database the run is on, which modules the SQLite pass runs,
hash test passwords quickly, and keep parallel test processes (pytest -n, docs/testing.md) apart
in Redis."""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

# The SQLite pass (make test-sqlite) runs these modules only: the PostgreSQL pass runs every
# test, and most behave the same on both. Listed: what takes a SQLite branch of its own
# (``connection.vendor`` in the code), database functions whose SQL differs, settings and
# migrations, plus a smoke set that books, emails, imports and serves the API and admin on
# SQLite as `make run` does. How to choose: docs/testing.md.
SQLITE_MODULES = frozenset(
    {
        # Code generation: a set-based INSERT per database (services/access_codes.py).
        "test_access_codes_service.py",
        "test_generate_access_codes_command.py",
        "test_generate_access_codes_faults.py",
        # Triggers and SQL per database (migrations 0005), and the health check's query per database.
        # (test_settings.py is not listed: each of its tests starts a process with settings of its
        # own, SQLite's among them, so it gives the same answers on either pass.)
        "test_migrations.py",
        "test_health.py",
        # Booking: no row locks on SQLite, IMMEDIATE transactions instead (services/locking.py).
        "test_reservations.py",
        "test_allocate_tickets.py",
        "test_one_booking_per_email.py",
        "test_bulk_bookings.py",
        "test_database_faults.py",
        # Imports: a SQLite branch in the apply phase (services/data_runs.py).
        "test_data_runs.py",
        # Date functions with a time zone (TruncDate) and date arithmetic in queries.
        "test_dashboard.py",
        "test_booking_cutoff.py",
        "test_querysets.py",
        # Seats reserved kept by triggers, one set per database (migration 0025); tickets and
        # bookings counted the same way (migration 0026).
        "test_reserved_seats.py",
        "test_campaign_counts.py",
        # Smoke set: the models, admin, API, emails and spreadsheets as `make run` uses them. The demo
        # data is seeded on SQLite by `make run` itself, which make test-run starts and browses.
        "test_models.py",
        "test_admin.py",
        "test_api.py",
        "test_emails.py",
        "test_admin_import_export.py",
    }
)


# Modules whose tests share what the module builds once (servers, a campaign, the demo): with
# pytest -n, each goes to one process whole, so it is built once (docs/testing.md).
SHARED_FIXTURE_MODULES = frozenset(
    {
        "test_admin.py",
        "test_admin_query_counts.py",
        "test_seed.py",
        "test_nginx.py",
        "test_several_hosts.py",
    }
)


def pytest_xdist_make_scheduler(config, log):
    """pytest -n: tests go out one at a time in pytest-django's order (those that empty the database
    after them, transactional ones, after the others, which rely on the rows migrations write),
    except the modules in SHARED_FIXTURE_MODULES, which go out whole."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureModulesTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if Path(module).name in SHARED_FIXTURE_MODULES else nodeid

    config.option.loadscopereorder = False  # keep pytest-django's order
    return SharedFixtureModulesTogether(config, log)


def redis_url_of_worker(url: str, worker: str) -> str:
    """``url`` with a Redis database number of the test process's own: gw0 the next after the
    one given, gw1 the one after (16 in all, Redis' default), so parallel processes share no
    cache entries, queue or purge."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    number = (base + 1 + int(worker.removeprefix("gw"))) % 16
    return urlunsplit(parts._replace(path=f"/{number}"))


def pytest_configure(config) -> None:
    from django.conf import settings

    # Production hashes passwords with Django's default, PBKDF2 at a million rounds: a fifth of a
    # second of CPU for each user a test makes and each login it posts. Tests check who may log
    # in, not how slowly, so they hash with MD5 (Django's own advice for test settings).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    # The test database is apart already (pytest-django adds _gw0, _gw1 to its name). Settings
    # were read at start-up, so the cache is pointed too; it connects only on first use.

    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        if os.environ.get(name, "").startswith("redis"):
            os.environ[name] = redis_url_of_worker(os.environ[name], worker)
    if os.environ.get("REDIS_URL") and "redis" in settings.CACHES["default"]["BACKEND"].lower():
        settings.CACHES["default"]["LOCATION"] = os.environ["REDIS_URL"]
    broker = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")
    if broker:
        from backoffice.celery import app

        settings.CELERY_BROKER_URL = app.conf.broker_url = broker


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if Path(str(item.fspath)).name in SQLITE_MODULES:
            item.add_marker(pytest.mark.sqlite)


def pytest_report_header(config) -> str:
    settings = connection.settings_dict
    where = settings["NAME"] if connection.vendor == "sqlite" else f"{settings['HOST'] or 'localhost'}"
    return f"database: {connection.vendor} ({where})"


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, verified with a TOTP device as every superuser must be."""
    from backoffice.campaign.tests.otp_support import verified_login

    verified_login(client, admin_user)
    return client
