"""Spreadsheet imports and exports as background runs: request, check, confirm, apply, Cancel,
the sweeper, retention, the run's page and its download."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.factories import FilmFactory, TicketFactory
from backoffice.campaign.models import (
    AccessCodeBatch,
    Cinema,
    DataExchangeLog,
    DataRun,
    Screening,
    Ticket,
    private_storage,
)
from backoffice.campaign.resources.formats import CSV
from backoffice.campaign.resources.tickets import TicketResource
from backoffice.campaign.services.data_runs import (
    data_import_request,
    data_run_cancel,
    data_run_confirm,
    data_run_execute,
    data_run_files_expire,
)
from backoffice.campaign.tasks import runs_sweep
from backoffice.campaign.tests.conftest import download_of_a_lost_file
from backoffice.campaign.tests.test_admin_import_export import (
    csv_file,
    export,
    last_and_this_season,
    staff,
    upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_files")]


@pytest.fixture(autouse=True)
def film():
    return FilmFactory(name="Elf", slug="elf")


@pytest.fixture
def small_limits(settings):
    """Files above 5 rows and lists above 2 rows go to the workers."""
    settings.IMPORT_MAX_ROWS = 5
    settings.EXPORT_INLINE_MAX_ROWS = 2
    return settings


def tickets_csv(count: int, *, prefix: str = "ELF") -> bytes:
    return csv_file(["code", "film"], *([f"{prefix}-{i:06d}", "elf"] for i in range(count)))


def queued_import(content: bytes, *, user=None) -> DataRun:
    """A run as the admin queues it, the publication left out (this test runs it by hand)."""
    with TestCase.captureOnCommitCallbacks(execute=False), transaction.atomic():
        return data_import_request(
            model=Ticket,
            resource_class=TicketResource,
            file_format=CSV(),
            upload=SimpleUploadedFile("tickets.csv", content),
            file_name="tickets.csv",
            total=content.count(b"\n") - 1,
            created_by=user,
        )


def checked(content: bytes, **kwargs) -> DataRun:
    run = queued_import(content, **kwargs)
    assert data_run_execute(run.pk)
    run.refresh_from_db()
    return run


def applied(run: DataRun) -> DataRun:
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert data_run_confirm(run)
    assert data_run_execute(run.pk)
    run.refresh_from_db()
    return run


def stored(name: str) -> bytes:
    with private_storage().open(name, "rb") as file:
        return file.read()


def test_a_big_import_is_queued_in_the_request_and_published_on_commit(admin_client, small_limits):
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        response = upload(admin_client, "ticket", tickets_csv(8), name="stock.csv")
    run = DataRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:campaign_datarun_change", args=[run.pk])
    assert (run.kind, run.phase, run.status, run.total) == ("import", "preview", "queued", 8)
    assert run.parameters["file_name"] == "stock.csv"
    assert stored(run.upload_file.name) == tickets_csv(8)
    assert len(callbacks) == 1  # the publication, once the request's transaction commits
    assert not Ticket.objects.exists()


def test_a_file_within_the_inline_limit_still_imports_in_the_page(admin_client, small_limits):
    response = upload(admin_client, "ticket", tickets_csv(5))
    assert response.status_code == 200
    assert response.context["confirm_form"] is not None
    assert not DataRun.objects.exists()


def test_preview_then_confirm_then_apply(admin_client, admin_user, small_limits, eager_tasks):
    with TestCase.captureOnCommitCallbacks(execute=True):
        upload(admin_client, "ticket", tickets_csv(8))
    run = DataRun.objects.get()
    assert (run.phase, run.status, run.done) == ("preview", "completed", 8)
    assert run.outcome | {"errors": []} == {
        "rows": 8,
        "new": 8,
        "update": 0,
        "skip": 0,
        "errors": [],
        "error_count": 0,
        "ignored_columns": [],
        "import_columns": ["code", "film"],
    }
    assert not Ticket.objects.exists()  # the check keeps nothing
    page = admin_client.get(reverse("admin:campaign_datarun_change", args=[run.pk])).content.decode()
    assert "Checked: 8 new, 0 updated, 0 unchanged or empty." in page
    confirm_url = reverse("admin:campaign_datarun_confirm", args=[run.pk])
    assert confirm_url in page

    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(confirm_url)
    run.refresh_from_db()
    assert (run.phase, run.status, run.done) == ("apply", "completed", 8)
    assert run.message == "Import finished: 8 new, 0 updated, 0 unchanged or empty (tickets)."
    assert Ticket.objects.count() == 8
    log = DataExchangeLog.objects.get()
    assert (log.action, log.rows, log.new_rows, log.user, log.file_name) == ("import", 8, 8, admin_user, "upload.csv")
    assert not data_run_confirm(run)  # applied once, never twice


def test_a_bad_row_anywhere_shows_its_row_and_column_and_cannot_be_confirmed(admin_client):
    content = csv_file(["code", "film"], *([f"ELF-{i}", "elf"] for i in range(20)), ["ELF-3", "elf"], ["X-1", "nope"])
    run = checked(content)
    assert run.status == "completed"
    assert run.outcome["error_count"] == 2
    assert run.outcome["errors"] == [
        'Row 22, code: Code "ELF-3" is also on row 5; each ticket code can appear only once.',
        'Row 23, film: No film has the slug or name "nope".',
    ]
    page = admin_client.get(reverse("admin:campaign_datarun_change", args=[run.pk])).content.decode()
    assert "2 problems, so nothing was imported." in page
    assert reverse("admin:campaign_datarun_confirm", args=[run.pk]) not in page
    assert not data_run_confirm(run)
    assert not Ticket.objects.exists()


def test_a_row_gone_bad_between_check_and_confirm_writes_nothing():
    run = checked(tickets_csv(30))
    TicketFactory(code="ELF-000029", film=FilmFactory())  # loaded by someone else meanwhile: the last row
    run = applied(run)
    assert run.status == "failed"
    assert run.message.startswith("Nothing was imported: the file no longer passes the checks")
    holder = Ticket.objects.get().film.name
    assert run.outcome["errors"] == [f'Row 31, code: Code "ELF-000029" is already in stock (film: {holder}).']
    assert Ticket.objects.count() == 1
    assert not DataExchangeLog.objects.exists()


def test_a_run_delivered_twice_runs_once():
    run = checked(tickets_csv(7))
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert data_run_confirm(run)
    assert data_run_execute(run.pk)
    assert not data_run_execute(run.pk)
    assert Ticket.objects.count() == 7
    assert DataExchangeLog.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_cancel_stops_an_import_at_a_batch_boundary_and_keeps_nothing(settings, queued_tasks):
    settings.DATA_RUN_BATCH_SIZE = 10
    run = checked(tickets_csv(50))
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert data_run_confirm(run)
    # As a Cancel pressed once the run has started: the flag is read at the next heartbeat.
    DataRun.objects.filter(pk=run.pk).update(cancel_requested=True)
    assert data_run_execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.message) == ("cancelled", "Cancelled by staff. Nothing was imported.")
    assert not Ticket.objects.exists()
    assert not DataExchangeLog.objects.exists()


def test_a_queued_run_cancelled_never_starts():
    run = queued_import(tickets_csv(3))
    assert data_run_cancel(run)
    assert not data_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == "cancelled"


def test_an_export_above_the_inline_limit_is_a_run_whose_file_equals_the_database(
    admin_client, small_limits, eager_tasks, film
):
    other = FilmFactory(name="Klaus")
    for i in range(5):
        TicketFactory(code=f"ELF-{i}", film=film)
    TicketFactory(code="KLS-1", film=other)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = export(admin_client, "ticket", query=f"?film__id__exact={film.pk}")
    run = DataRun.objects.get()
    assert response["Location"] == reverse("admin:campaign_datarun_change", args=[run.pk])
    run.refresh_from_db()
    assert (run.kind, run.status, run.done, run.total) == ("export", "completed", 5, 5)
    expected = CSV().export_data(TicketResource().export(queryset=Ticket.objects.filter(film=film).order_by("pk")))
    assert stored(run.result_file.name).decode() == expected

    url = reverse("admin:campaign_datarun_result", args=[run.pk])
    assert url in admin_client.get(reverse("admin:campaign_datarun_change", args=[run.pk])).content.decode()
    download = admin_client.get(url)
    assert "no-store" in download["Cache-Control"]
    assert b"".join(download.streaming_content).decode() == expected
    log = DataExchangeLog.objects.get()
    assert (log.action, log.rows, log.content_type.model) == ("export", 5, "ticket")


def test_an_export_in_chunks_writes_one_header(admin_client, small_limits, eager_tasks, settings, film):
    settings.DATA_RUN_BATCH_SIZE = 2
    for i in range(5):
        TicketFactory(code=f"ELF-{i}", film=film)
    with TestCase.captureOnCommitCallbacks(execute=True):
        export(admin_client, "ticket")
    run = DataRun.objects.get()
    expected = CSV().export_data(TicketResource().export(queryset=Ticket.objects.order_by("pk")))
    assert stored(run.result_file.name).decode() == expected


def test_the_download_needs_the_lists_view_and_export_permissions(
    admin_client, client, django_user_model, small_limits, eager_tasks, film
):
    for i in range(3):
        TicketFactory(code=f"ELF-{i}", film=film)
    with TestCase.captureOnCommitCallbacks(execute=True):
        export(admin_client, "ticket")
    run = DataRun.objects.get()
    url = reverse("admin:campaign_datarun_result", args=[run.pk])

    staff(django_user_model, client, "view_ticket", "view_datarun")
    assert client.get(url).status_code == 403
    assert not DataExchangeLog.objects.exists()

    exporter = django_user_model.objects.get(username="staff")
    exporter.user_permissions.add(*staff_permissions("export_ticket"))
    assert client.get(url).status_code == 200
    assert DataExchangeLog.objects.get().user == exporter


def staff_permissions(*codenames: str):
    return Permission.objects.filter(content_type__app_label="campaign", codename__in=codenames)


def test_the_status_endpoint_reports_done_of_total(admin_client):
    run = queued_import(tickets_csv(40))
    DataRun.objects.filter(pk=run.pk).update(status="running", done=10)
    response = admin_client.get(reverse("admin:campaign_datarun_status", args=[run.pk]))
    assert "no-store" in response["Cache-Control"]
    assert json.loads(response.content) == {
        "status": "running",
        "status_display": "Running (checking)",
        "done": 10,
        "total": 40,
        "finished": False,
        "cancel_requested": False,
    }
    page = admin_client.get(reverse("admin:campaign_datarun_change", args=[run.pk])).content.decode()
    assert 'id="run-progress" max="40" value="10"' in page
    assert "campaign/admin/run.js" in page
    assert reverse("admin:campaign_datarun_cancel", args=[run.pk]) in page


def test_the_sweeper_fails_a_run_whose_heartbeat_stopped():
    stale = queued_import(tickets_csv(10))
    DataRun.objects.filter(pk=stale.pk).update(
        status="running", phase="apply", done=4, attempts=3, updated_at=timezone.now() - timedelta(minutes=11)
    )
    fresh = queued_import(tickets_csv(10))
    DataRun.objects.filter(pk=fresh.pk).update(status="running")

    assert runs_sweep() == 1
    stale.refresh_from_db()
    assert stale.status == "failed"
    assert stale.message.startswith("The worker running it stopped 3 times, the last time at ")
    assert stale.message.endswith("stopped after 4 of 10 rows. Nothing was imported.")
    assert DataRun.objects.get(pk=fresh.pk).status == "running"
    assert runs_sweep() == 0


def test_the_sweeper_starts_again_an_import_whose_worker_died(eager_tasks):
    run = queued_import(tickets_csv(10))
    DataRun.objects.filter(pk=run.pk).update(
        status="running", phase="apply", done=4, attempts=1, updated_at=timezone.now() - timedelta(minutes=2)
    )
    assert runs_sweep() == 1
    run.refresh_from_db()
    assert (run.status, run.phase, run.done, run.attempts) == ("completed", "apply", 10, 2)
    assert Ticket.objects.count() == 10


def test_the_sweeper_publishes_again_a_run_no_worker_took(settings, eager_tasks):
    settings.RUN_REPUBLISH_SECONDS = 0
    run = queued_import(tickets_csv(3))
    runs_sweep()
    run.refresh_from_db()
    assert (run.status, run.phase, run.done) == ("completed", "preview", 3)


def test_retention_deletes_the_files_of_runs_that_ended_long_ago(private_files):
    old = checked(tickets_csv(3))
    recent = checked(tickets_csv(3, prefix="NEW"))
    DataRun.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    old_file = private_files / old.upload_file.name
    assert old_file.is_file()

    assert data_run_files_expire(days=7) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old_file.exists()
    assert (old.upload_file.name, old.result_file.name) == ("", "")
    assert old.message.endswith(
        "7 day(s) after the run ended: run files may hold personal data and are kept no longer."
    )
    assert (private_files / recent.upload_file.name).is_file()
    assert data_run_files_expire(days=7) == 0


def test_the_runs_page_lists_code_runs_and_spreadsheet_runs(admin_client):
    run = queued_import(tickets_csv(3))
    batch = AccessCodeBatch.objects.create(requested_count=9, status="queued", source="admin")
    page = admin_client.get(reverse("admin:runs")).content.decode()
    assert reverse("admin:campaign_datarun_change", args=[run.pk]) in page
    assert reverse("admin:campaign_accesscodebatch_change", args=[batch.pk]) in page
    assert "Import of tickets" in page
    assert "Generate 9 access codes" in page
    changelist = admin_client.get(reverse("admin:campaign_datarun_changelist")).content.decode()
    assert reverse("admin:campaign_datarun_change", args=[run.pk]) in changelist


def test_a_big_cinema_file_goes_through_the_row_by_row_import(admin_client, small_limits, eager_tasks):
    content = csv_file(["name", "lat", "lng"], *([f"Cinema {i}", "53.9", "-1.0"] for i in range(6)), ["Bad", "95", "0"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        upload(admin_client, "cinema", content)
    run = DataRun.objects.get()
    assert (run.status, run.outcome["error_count"]) == ("completed", 1)
    assert run.outcome["errors"][0].startswith("Row 8, lat: ")
    assert not Cinema.objects.exists()

    with TestCase.captureOnCommitCallbacks(execute=True):
        upload(admin_client, "cinema", csv_file(["name"], *([f"Cinema {i}"] for i in range(6))))
    run = DataRun.objects.latest("pk")
    assert run.outcome["new"] == 6
    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(reverse("admin:campaign_datarun_confirm", args=[run.pk]))
    run.refresh_from_db()
    assert (run.phase, run.status) == ("apply", "completed")
    assert Cinema.objects.count() == 6


def big_schedule() -> bytes:
    """Last season's rows and this season's, more than an import inside the page takes."""
    content, coming = last_and_this_season()
    later = (["elf", "york-vangarde", f"{coming[-1] + timedelta(days=n):%Y-%m-%d %H:%M}", "9"] for n in range(1, 5))
    return content + csv_file(*later)


def test_the_import_options_reach_the_check_and_the_apply_of_a_run(admin_client, small_limits, eager_tasks):
    content = big_schedule()
    with TestCase.captureOnCommitCallbacks(execute=True):
        upload(admin_client, "screening", content, skip_past="on")
    run = DataRun.objects.get()
    assert run.parameters["options"] == {"skip_past": True}
    assert (run.outcome["new"], run.outcome["skip"], run.outcome["past"], run.outcome["error_count"]) == (6, 2, 2, 0)
    assert run.message == (
        "Checked: 6 new, 0 updated, 0 unchanged or empty, 2 in the past, skipped. Nothing is saved until you confirm."
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(reverse("admin:campaign_datarun_confirm", args=[run.pk]))
    run.refresh_from_db()
    assert (
        run.message == "Import finished: 6 new, 0 updated, 0 unchanged or empty, 2 in the past, skipped (screenings)."
    )
    assert Screening.objects.count() == 6
    assert DataExchangeLog.objects.get().skipped_rows == 2


def test_without_the_option_a_run_refuses_the_rows_in_the_past(admin_client, small_limits, eager_tasks):
    content = big_schedule()
    with TestCase.captureOnCommitCallbacks(execute=True):
        upload(admin_client, "screening", content)
    run = DataRun.objects.get()
    assert run.parameters["options"] == {"skip_past": False}
    assert run.outcome["error_count"] == 2
    assert run.outcome["errors"][0].startswith("Row 2, start: 2025-12-19 18:30 is in the past")


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_export_leaves_no_file(admin_client, small_limits, settings, film, private_files, queued_tasks):
    settings.DATA_RUN_BATCH_SIZE = 2
    for i in range(5):
        TicketFactory(code=f"ELF-{i}", film=film)
    with TestCase.captureOnCommitCallbacks(execute=False):
        export(admin_client, "ticket")
    run = DataRun.objects.get()
    DataRun.objects.filter(pk=run.pk).update(cancel_requested=True)  # pressed once the run started
    assert data_run_execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.message, run.result_file.name) == (
        "cancelled",
        "Cancelled by staff. No file was made; export again.",
        "",
    )
    assert not list((private_files / "data-runs").rglob("*.csv"))


def test_an_export_file_gone_from_the_server_gets_a_message_not_an_error(admin_client, small_limits, eager_tasks):
    for i in range(3):
        TicketFactory(code=f"ELF-{i}")
    with TestCase.captureOnCommitCallbacks(execute=True):
        export(admin_client, "ticket")
    page = download_of_a_lost_file(admin_client, DataRun.objects.get())
    assert f"The file of run {DataRun.objects.get().pk} is no longer on the server" in page
    assert "Export the list again." in page
