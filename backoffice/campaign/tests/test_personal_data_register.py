"""The register of places personal data lives: nothing is left after erasure or retention,
no model escapes it, every download is logged and private files are the owner's only."""

import datetime as dt
import io
import json
import os
import stat
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage, get_connection
from django.core.management import call_command
from django.db import models
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.factories import AccessCodeFactory, CinemaFactory, FilmFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import DataExchangeLog, DataRun, Email, Reservation, Screening, Ticket
from backoffice.campaign.resources.formats import CSV
from backoffice.campaign.resources.tickets import TicketResource
from backoffice.campaign.services.code_runs import code_run_execute
from backoffice.campaign.services.data_runs import data_export_request, data_run_execute
from backoffice.campaign.services.emails import door_lists_queue, email_deliver
from backoffice.campaign.services.personal_data_register import (
    OUT_OF_SCOPE,
    PLACES,
    covered_columns,
    message_text,
    places_table,
)
from backoffice.campaign.tests.test_admin_import_export import export
from backoffice.campaign.tests.test_admin_reservations import ADD_URL, add_data
from backoffice.campaign.tests.test_code_runs import queued
from backoffice.campaign.tests.test_data_runs import tickets_csv
from backoffice.campaign.tests.test_personal_data import columns_containing

pytestmark = pytest.mark.django_db

NAME = "Jacob Marley"
EMAIL = "marley@chains.example"
IP = "203.0.113.9"
RESERVATIONS = reverse("admin:campaign_reservation_changelist")
DOCS = Path(__file__).resolve().parents[3] / "docs" / "personal-data.md"


@pytest.fixture
def folders(settings, tmp_path, private_files):
    """Private storage, media and message files, each in this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "backoffice.campaign.private_files.PrivateFileEmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "emails"
    return [private_files, settings.MEDIA_ROOT, settings.EMAIL_FILE_PATH]


@pytest.fixture
def screening():
    film = FilmFactory(name="Scrooged", running_time=100)
    TicketFactory.create_batch(10, film=film)
    cinema = CinemaFactory(name="Leeds - Kirkstall", contact_email="door@kirkstall.example")
    return ScreeningFactory(film=film, cinema=cinema, capacity=10, starts_at=timezone.now() + dt.timedelta(days=3))


def files_containing(folders: list[Path], text: str) -> list[str]:
    return [
        str(path)
        for folder in folders
        if folder.is_dir()
        for path in folder.rglob("*")
        if path.is_file() and text.lower() in message_text(path)
    ]


# As typed, and as a URL's query string carries them (a search kept with a run).
PERSON = (NAME, EMAIL, IP, quote_plus(NAME), quote_plus(EMAIL))


def traces(folders: list[Path]) -> dict[str, list[str]]:
    found = {text: columns_containing(text) + files_containing(folders, text) for text in PERSON}
    return {text: places for text, places in found.items() if places}


def deliver_all() -> None:
    for pk in Email.objects.filter(status=Email.Status.QUEUED).values_list("pk", flat=True):
        assert email_deliver(pk)


def take_everything_out(client, settings, screening) -> DataRun:
    """Book the person, export them inline and as a run, mail them, download their door list and copy."""
    assert client.post(ADD_URL, add_data(screening, name=NAME, email=EMAIL)).status_code == 302
    client.post(ADD_URL, add_data(screening, name="Belle Fezziwig", email="belle@example.com"))
    deliver_all()
    # As if booked online (staff bookings record no address), and a refusal an SMTP server
    # answered once, kept on the row as it was worded.
    Reservation.objects.filter(email=EMAIL).update(ip_address=IP)
    Email.objects.filter(to=EMAIL).update(last_error=f"450 4.2.0 <{EMAIL}>: mailbox busy")

    settings.EXPORT_INLINE_MAX_ROWS = 100
    inline = export(client, "reservation")
    assert NAME in inline.content.decode()
    settings.EXPORT_INLINE_MAX_ROWS = 0
    with TestCase.captureOnCommitCallbacks(execute=False):
        export(client, "reservation", query=f"?q={NAME.replace(' ', '+')}")
    run = DataRun.objects.get()
    assert data_run_execute(run.pk)
    result = client.get(reverse("admin:campaign_datarun_result", args=[run.pk]))
    assert NAME in b"".join(result.streaming_content).decode()

    Screening.objects.filter(pk=screening.pk).update(starts_at=timezone.now() + dt.timedelta(minutes=30))
    assert door_lists_queue() == 1
    deliver_all()
    door_list = client.post(
        reverse("admin:campaign_screening_changelist"),
        {"action": "export_door_list", "_selected_action": [screening.pk]},
    )
    assert NAME in door_list.content.decode()
    reservation = Reservation.objects.get(email=EMAIL)
    copy = client.post(RESERVATIONS, {"action": "export_personal_data", "_selected_action": [reservation.pk]})
    assert json.loads(copy.content)["reservations"][0]["name"] == NAME
    return run


@pytest.mark.parametrize("how", ["erasure", "retention"])
def test_after_erasure_or_retention_no_table_or_file_holds_the_person(admin_client, settings, folders, screening, how):
    run = take_everything_out(admin_client, settings, screening)
    found = traces(folders)
    assert set(found) == {NAME, EMAIL, IP, quote_plus(NAME)}, "the set-up should have put the person everywhere"
    assert found[quote_plus(NAME)] == ["campaign_datarun.parameters"]
    assert any("data-runs" in place for place in found[NAME]), found
    assert any("emails" in place for place in found[EMAIL]), found

    if how == "erasure":
        reservation = Reservation.objects.get(email=EMAIL)
        admin_client.post(
            RESERVATIONS, {"action": "erase_personal_data", "_selected_action": [reservation.pk], "post": "yes"}
        )
    else:
        Screening.objects.filter(pk=screening.pk).update(starts_at=timezone.now() - dt.timedelta(days=40))
        call_command("anonymise_reservations", "--older-than", "30", stdout=io.StringIO())

    assert traces(folders) == {}
    run.refresh_from_db()
    assert run.result_file.name == ""
    why = "erased" if how == "erasure" else "retention period"
    assert run.message.startswith(f"The file was removed on {timezone.localdate():%Y-%m-%d} because ")
    assert why in run.message
    page = admin_client.get(reverse("admin:campaign_datarun_change", args=[run.pk])).content.decode()
    assert run.message in page
    assert reverse("admin:campaign_datarun_result", args=[run.pk]) not in page


def test_every_download_of_personal_data_is_logged(admin_client, admin_user, settings, folders, screening):
    take_everything_out(admin_client, settings, screening)

    logged = DataExchangeLog.objects.order_by("pk").values_list(
        "user__username", "action", "content_type__model", "file_format", "file_name", "rows"
    )
    stamp = timezone.localdate().isoformat()
    assert list(logged) == [
        (admin_user.username, "export", "reservation", "csv", f"Reservation-{stamp}.csv", 2),  # inline
        (admin_user.username, "export", "reservation", "csv", f"Reservation-{stamp}.csv", 1),  # the run's file
        (admin_user.username, "export", "reservation", "csv", "door-list.csv", 2),
        (admin_user.username, "export", "reservation", "json", "personal-data.json", 1),
    ]


def test_every_model_with_a_name_email_or_ip_address_is_in_the_register():
    """A new model or field holding one must be given a place, or an exclusion saying why not."""
    looks_personal = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            named = field.name in {"name", "first_name", "last_name", "full_name", "username"}
            if isinstance(field, models.EmailField | models.GenericIPAddressField) or (
                named and isinstance(field, models.CharField | models.TextField)
            ):
                looks_personal.append(f"{model._meta.label}.{field.name}")
    assert looks_personal
    assert sorted(set(looks_personal) - covered_columns()) == []


def test_every_column_of_the_register_exists():
    for column in covered_columns():
        label, _, name = column.rpartition(".")
        assert apps.get_model(label)._meta.get_field(name), column


def test_the_documentation_shows_the_register():
    table = places_table()
    assert table in DOCS.read_text()
    assert all(f"| {place.title} |" in table for place in PLACES)
    assert all(exclusion.why in table for exclusion in OUT_OF_SCOPE)


# -- files are the owner's only, whoever writes them ----------------------------------------------


@pytest.fixture
def umask_022():
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private(path: Path, root: Path) -> None:
    assert mode(path) == 0o600, path
    for folder in path.parents:
        if not folder.is_relative_to(root):
            break
        assert mode(folder) == 0o700, folder


def test_the_command_writes_its_csv_owner_only(umask_022, tmp_path):
    path = tmp_path / "codes.csv"
    call_command("generate_access_codes", "5", "--output", str(path), stdout=io.StringIO())
    assert mode(path) == 0o600


def test_workers_write_run_files_owner_only(umask_022, folders, admin_user):
    private = folders[0]
    batch = queued(5)
    assert code_run_execute(batch.pk)
    batch.refresh_from_db()
    assert_private(private / batch.result_file.name, private)

    TicketFactory.create_batch(3)
    with TestCase.captureOnCommitCallbacks(execute=False):
        run = data_export_request(
            model=Ticket,
            resource_class=TicketResource,
            file_format=CSV(),
            export_fields=None,
            query="",
            total=3,
            created_by=admin_user,
        )
    assert data_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == "completed"
    assert_private(private / run.result_file.name, private)


def test_workers_write_message_files_owner_only(umask_022, folders, screening):
    Reservation.objects.create(screening=screening, access_code=AccessCodeFactory(), quantity=1, name=NAME, email=EMAIL)
    deliver_all()
    [message] = list(folders[2].iterdir())
    assert_private(message, folders[2])


def test_every_message_file_holds_one_message(folders):
    """Backends made one after the other in the same second may get the same ``id()``, the second
    part of Django's file names: each message must still get a file of its own, or erasing one
    customer's messages would delete another's."""
    for n in range(20):
        get_connection().send_messages([EmailMessage(f"Booking {n}", "Your tickets", to=[f"guest{n}@example.com"])])
    files = list(folders[2].iterdir())
    assert len(files) == 20
    assert all(path.read_text().count("Subject: Booking") == 1 for path in files)


def test_the_web_process_writes_uploads_and_exports_owner_only(umask_022, admin_client, folders, settings):
    """An upload too big for the page is kept by the web process, for the workers to check."""
    settings.IMPORT_MAX_ROWS = 1
    FilmFactory(name="Elf", slug="elf")
    with TestCase.captureOnCommitCallbacks(execute=False):
        response = admin_client.post(
            reverse("admin:campaign_ticket_import"),
            {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("tickets.csv", tickets_csv(3))},
        )
    assert response.status_code == 302
    run = DataRun.objects.get()
    assert_private(folders[0] / run.upload_file.name, folders[0])
