"""The restore drill of docs/operations.md ("Backups"), on a seeded database and its private files.

A backup is the database dumped with ``pg_dump -Fc`` and a tar of the private folder. Restored
into a new database and a new folder, it must be a working site: no migration left to apply,
every table as full as it was, a booking possible, a code run's CSV downloadable.
"""

import datetime as dt
import os
import re
import shutil
import subprocess
import tarfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from backoffice.campaign.models import AccessCode, AccessCodeBatch, Reservation, Screening, private_storage
from backoffice.campaign.services.code_runs import code_run_execute, code_run_request
from backoffice.campaign.tests.conftest import publishing_to
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def postgres_binary(name: str) -> str:
    """``pg_dump`` or ``pg_restore`` of the server's major version: the machine's, or the one the
    ``pgserver`` package ships for its throwaway servers."""
    major = connection.pg_version // 10000
    looked = []
    for candidate in (shutil.which(name), None):
        if candidate is None:
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            import pgserver

            candidate = str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)
        looked.append(candidate)
        if Path(candidate).exists():
            version = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=True).stdout
            if re.search(rf"\) {major}\.", version):
                return candidate
    pytest.fail(f"No {name} for PostgreSQL {major} (looked at {looked}): install postgresql-client-{major}.")


def libpq_env(database: str) -> dict[str, str]:
    """The environment that points PostgreSQL's command-line tools at ``database`` of the test server."""
    settings = connection.settings_dict
    env = {**os.environ, "PGDATABASE": database, "PGUSER": settings.get("USER") or "postgres"}
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("PASSWORD", "PGPASSWORD")):
        if settings.get(key):
            env[name] = str(settings[key])
    return env


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
        counts = {}
        for name in names:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
            counts[name] = cursor.fetchone()[0]
    return counts


@contextmanager
def database(name: str) -> Iterator[None]:
    """This process's default connection on database ``name`` for the block, then back."""
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


@pytest.fixture
def restored_name() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_restored"[:63]
    quoted = connection.ops.quote_name(name)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quoted}")
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")


@pytest.fixture
def private_root(settings, tmp_path):
    """Private storage in a folder of this test, moved to the restored copy's folder on demand."""

    def use(folder: Path) -> None:
        private = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
        private["OPTIONS"] = {"location": str(folder), "base_url": None}
        settings.STORAGES = {**settings.STORAGES, "private": private}

    use(tmp_path / "private")
    return use


def test_a_backup_restores_into_a_new_database_and_folder_that_work(private_root, restored_name, tmp_path):
    # The site as it runs: demo data, and a finished code run whose CSV is in the private folder.
    call_command("seed_demo", verbosity=0)
    with publishing_to("memory://localhost/"):  # no worker here: the test runs the run itself
        with transaction.atomic():
            batch = code_run_request(count=300, film=None, max_usages=1, created_by=None)
        assert code_run_execute(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "completed"
    with private_storage().open(batch.result_file.name, "rb") as file:
        csv = file.read()
    counts = table_counts()
    assert counts["campaign_reservation"] > 0
    assert counts["campaign_accesscode"] >= 300

    # Back up (docs/operations.md, "Backups"): the database, then the private folder.
    dump, archive = tmp_path / "films.dump", tmp_path / "private.tar.gz"
    source = connection.settings_dict["NAME"]
    subprocess.run(
        [postgres_binary("pg_dump"), "--format=custom", "--no-owner", f"--file={dump}"],
        env=libpq_env(source),
        check=True,
    )
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "private", arcname=".")

    # Restore into a new database and a new folder.
    subprocess.run(
        [postgres_binary("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={restored_name}", str(dump)],
        env=libpq_env(restored_name),
        check=True,
    )
    restored_files = tmp_path / "restored-private"
    with tarfile.open(archive) as tar:
        tar.extractall(restored_files, filter="data")
    private_root(restored_files)

    with database(restored_name), publishing_to("memory://localhost/"):
        call_command("migrate", "--check", verbosity=0)  # exits non-zero if a migration is unapplied
        assert table_counts() == counts

        # A booking works: new rows get ids after the restored ones, tickets are allocated.
        screening = (
            Screening.objects.with_sold_out()
            .filter(sold_out=False, starts_at__gt=timezone.now() + dt.timedelta(days=1))
            .order_by("starts_at")
            .first()
        )
        code = AccessCode.objects.filter(batch__pk=batch.pk).first()
        reservation = Reservation.objects.create(
            screening=screening, access_code=code, quantity=1, name="Restore Drill", email="drill@example.com"
        )
        assert reservation.tickets.count() == 1
        assert Reservation.objects.count() == counts["campaign_reservation"] + 1

        # The run's CSV downloads through the admin, from the restored folder.
        admin = get_user_model().objects.create_superuser("drill", "drill@example.com", "not-used-here")
        client = Client()
        verified_login(client, admin)
        restored_batch = AccessCodeBatch.objects.get(pk=batch.pk)
        response = client.get(f"/admin/campaign/accesscodebatch/{restored_batch.pk}/result/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == csv
