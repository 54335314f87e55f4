"""Spreadsheet runs on a real Celery worker (a subprocess on this test's database) and Redis."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings

from backoffice.campaign import tasks
from backoffice.campaign.factories import FilmFactory
from backoffice.campaign.models import DataExchangeLog, DataRun, Ticket
from backoffice.campaign.resources.formats import CSV
from backoffice.campaign.resources.tickets import TicketResource
from backoffice.campaign.services.data_runs import data_import_request, data_run_confirm, data_runs_sweep
from backoffice.campaign.tests.conftest import run_worker, wait_for
from backoffice.campaign.tests.test_admin_import_export import csv_file

pytestmark = [pytest.mark.postgresql, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def data_worker(broker_url, private_files, transactional_db):
    """One worker reading and writing this test's private storage, with a heartbeat every 500 rows."""
    with run_worker(broker_url, private_files, DATA_RUN_BATCH_SIZE="500") as worker:
        yield worker


def request_import(rows: int) -> DataRun:
    FilmFactory(name="Elf", slug="elf")
    content = csv_file(["code", "film"], *([f"ELF-{i:07d}", "elf"] for i in range(rows)))
    with transaction.atomic():
        return data_import_request(
            model=Ticket,
            resource_class=TicketResource,
            file_format=CSV(),
            upload=SimpleUploadedFile("tickets.csv", content),
            file_name="tickets.csv",
            total=rows,
            created_by=None,
        )


def confirm(run: DataRun) -> None:
    with transaction.atomic():
        assert data_run_confirm(run)


def wait_for_run(run: DataRun, test, *, timeout: float) -> DataRun:
    return wait_for(run, test, timeout=timeout, progress="run {r.pk}: {r.phase} {r.status}, {r.done:,} rows")


def test_a_worker_checks_then_imports_the_file(data_worker):
    run = wait_for_run(request_import(3_000), lambda r: r.status == "completed", timeout=60)
    assert run.outcome["new"] == 3_000
    assert not Ticket.objects.exists()
    confirm(run)
    run = wait_for_run(run, lambda r: r.phase == "apply" and r.status == "completed", timeout=60)
    assert Ticket.objects.count() == 3_000
    assert DataExchangeLog.objects.get().new_rows == 3_000


def test_a_worker_killed_mid_import_leaves_a_failed_run_and_nothing_written(data_worker):
    run = wait_for_run(request_import(40_000), lambda r: r.status == "completed", timeout=120)
    confirm(run)
    # Heartbeats arrive while the rows are still one open transaction: progress shows, nothing is written yet.
    wait_for_run(run, lambda r: r.phase == "apply" and r.status == "running" and r.done >= 2_000, timeout=60)
    assert not Ticket.objects.exists()
    data_worker.kill()

    run.refresh_from_db()
    assert run.status == "running"  # nobody is left to say otherwise but the sweeper
    with override_settings(DATA_RUN_STALE_SECONDS=0):
        assert data_runs_sweep() == 1
    run.refresh_from_db()
    assert run.status == "failed"
    assert "the worker running it sent no progress since" in run.message
    assert run.message.endswith("Nothing was imported.")
    assert not Ticket.objects.exists()
    assert not DataExchangeLog.objects.exists()

    # The message, never acknowledged, may be delivered again: that delivery does not start the run again.
    assert tasks.data_run(run.pk) is False
    run.refresh_from_db()
    assert run.status == "failed"
    assert not Ticket.objects.exists()
