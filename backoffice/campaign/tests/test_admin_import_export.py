"""Spreadsheet import and export through the admin: preview, confirm, permissions, the log."""

import csv
import datetime as dt
import io
import os
import re

import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.admin.data_exchange import KEPT_FILE_SALT
from backoffice.campaign.factories import (
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import LONDON, Cinema, DataExchangeLog, Film, Reservation, Screening, Ticket
from backoffice.campaign.resources.formats import XLSX
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = pytest.mark.django_db

CSV_FORMAT, XLSX_FORMAT = "0", "1"


def csv_file(*rows: list) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def xlsx_file(*rows: list) -> bytes:
    data = tablib.Dataset(headers=rows[0])
    for row in rows[1:]:
        data.append(row)
    return XLSX().export_data(data)


def upload(client, model: str, content: bytes, *, name: str = "upload.csv", file_format: str = CSV_FORMAT, **options):
    """Post the import form with a file; ``options`` are the form's other fields (e.g. skip_past="on")."""
    return client.post(
        reverse(f"admin:campaign_{model}_import"),
        {"resource": "0", "format": file_format, "import_file": SimpleUploadedFile(name, content), **options},
    )


def confirm(client, model: str, preview):
    form = preview.context["confirm_form"]
    return client.post(reverse(f"admin:campaign_{model}_process_import"), form.initial, follow=True)


def import_file(client, model: str, content: bytes, **kwargs):
    preview = upload(client, model, content, **kwargs)
    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is not None, preview.content.decode()
    return preview


def export(client, model: str, *, file_format: str = CSV_FORMAT, query: str = ""):
    resource = {"reservation": "reservationexportresource"}.get(model, f"{model}resource")
    fields = preview_fields(client, model)
    data = {"resource": "0", "format": file_format, **{f"{resource}_{field}": "on" for field in fields}}
    return client.post(reverse(f"admin:campaign_{model}_export") + query, data)


def preview_fields(client, model: str) -> list[str]:
    form = client.get(reverse(f"admin:campaign_{model}_export")).context["form"]
    return [name.split("_", 1)[1] for name in form.fields if name not in {"resource", "format", "export_items"}]


def staff(django_user_model, client, *codenames: str):
    user = django_user_model.objects.create_user("staff", password="-", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="campaign", codename__in=codenames))
    verified_login(client, user)
    return user


# -- good files import after confirm ------------------------------------------------------------


def test_cinemas_import_after_the_preview_is_confirmed(admin_client, admin_user):
    content = csv_file(["name", "address", "lat", "lng"], ["York - Vangarde", "Vangarde Way", "53.99", "-1.05"])
    preview = import_file(admin_client, "cinema", content, name="cinemas.csv")
    assert b"1 new, 0 updated, 0 unchanged or empty" in preview.content
    assert not Cinema.objects.exists()

    done = confirm(admin_client, "cinema", preview)
    assert done.redirect_chain[-1][0] == reverse("admin:campaign_cinema_changelist")
    assert list(Cinema.objects.values_list("name", "slug", "lat", "lng")) == [
        ("York - Vangarde", "york-vangarde", 53.99, -1.05)
    ]
    log = DataExchangeLog.objects.get()
    assert (log.action, log.content_type.model, log.file_format, log.file_name, log.user) == (
        "import",
        "cinema",
        "csv",
        "cinemas.csv",
        admin_user,
    )
    assert (log.rows, log.new_rows, log.updated_rows, log.skipped_rows) == (1, 1, 0, 0)


def test_films_import_from_xlsx(admin_client):
    content = xlsx_file(["name", "release_year", "certificate", "running_time", "live"], ["Elf", 2003, "PG", 97, "yes"])
    confirm(
        admin_client, "film", import_file(admin_client, "film", content, name="films.xlsx", file_format=XLSX_FORMAT)
    )
    assert list(Film.objects.values_list("name", "release_date", "running_time", "live")) == [("Elf", "2003", 97, True)]
    assert DataExchangeLog.objects.get().file_format == "xlsx"


def test_screenings_import_and_update_by_film_cinema_and_start(admin_client):
    elf, york = FilmFactory(name="Elf"), CinemaFactory(name="York - Vangarde")
    existing = ScreeningFactory(film=elf, cinema=york, starts_at=dt.datetime(2030, 12, 1, 18, 0, tzinfo=LONDON))
    content = csv_file(
        ["film", "cinema", "start", "capacity"],
        ["Elf", "york-vangarde", "2030-12-01 18:00", "30"],
        ["elf", "York - Vangarde", "2030-12-02 20:15", "25"],
    )
    preview = import_file(admin_client, "screening", content)
    assert b"1 new, 1 updated, 0 unchanged or empty" in preview.content
    confirm(admin_client, "screening", preview)
    existing.refresh_from_db()
    assert existing.capacity == 30
    assert Screening.objects.get(starts_at=dt.datetime(2030, 12, 2, 20, 15, tzinfo=LONDON)).capacity == 25


def test_tickets_import_after_confirm(admin_client):
    FilmFactory(name="Elf")
    content = csv_file(["code", "film"], *([f"ELF-{i:04d}", "elf"] for i in range(300)))
    preview = import_file(admin_client, "ticket", content)
    assert not Ticket.objects.exists()
    done = confirm(admin_client, "ticket", preview)
    assert Ticket.objects.filter(film__slug="elf", reservation=None).count() == 300
    assert "Import finished: 300 new" in done.content.decode()
    assert DataExchangeLog.objects.get().new_rows == 300


# -- bad files show their errors and write nothing ----------------------------------------------


BAD_FILES = {
    "cinema": (
        csv_file(["name", "lat"], ["Good", "50"], ["", "1"], ["Far", "95"]),
        ["Row 3, name: This field cannot be blank.", "Row 4, lat: Ensure this value is less than or equal to 90."],
    ),
    "film": (
        csv_file(["name", "certificate", "live"], ["Good", "PG", "yes"], ["Bad", "X", "perhaps"]),
        [
            "Row 3, certificate: Value &#x27;X&#x27; is not a valid choice.",
            "Row 3, live: &quot;perhaps&quot; is not yes or no.",
        ],
    ),
    "screening": (
        csv_file(
            ["film", "cinema", "start", "capacity"],
            ["elf", "york-vangarde", "2030-12-01 18:00", "30"],
            ["Elf 2", "york-vangarde", "2030-12-01 18:00", "30"],
            ["elf", "york-vangarde", "tomorrow", "30"],
            ["elf", "york-vangarde", "2030-12-03 18:00", "-1"],
        ),
        [
            "Row 3, film: No film has the slug or name &quot;Elf 2&quot;.",
            "Row 4, start: &quot;tomorrow&quot; is not a start time",
            "Row 5, capacity: Ensure this value is greater than or equal to 0.",
        ],
    ),
    "ticket": (
        csv_file(["code", "film"], ["NEW-1", "elf"], ["NEW-1", "elf"], ["OLD-1", "elf"], ["NEW-2", "Elf 2"]),
        [
            "Row 3, code: Code &quot;NEW-1&quot; is also on row 2; each ticket code can appear only once.",
            "Row 4, code: Code &quot;OLD-1&quot; is already in stock (film: Elf).",
            "Row 5, film: No film has the slug or name &quot;Elf 2&quot;.",
        ],
    ),
}


@pytest.mark.parametrize("model", BAD_FILES)
def test_a_file_with_bad_rows_shows_each_error_and_writes_nothing(admin_client, model):
    elf = FilmFactory(name="Elf")
    CinemaFactory(name="York - Vangarde")
    TicketFactory(code="OLD-1", film=elf)
    content, expected = BAD_FILES[model]
    before = {m: list(m.objects.values()) for m in (Cinema, Film, Screening, Ticket)}

    preview = upload(admin_client, model, content)
    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is None
    html = preview.content.decode()
    assert "nothing was imported" in html
    for message in expected:
        assert message in html
    assert {m: list(m.objects.values()) for m in (Cinema, Film, Screening, Ticket)} == before
    assert not DataExchangeLog.objects.exists()


def test_a_file_missing_a_column_gets_one_clear_error_and_no_traceback(admin_client):
    preview = upload(admin_client, "ticket", csv_file(["code"], ["A"], ["B"]))
    html = preview.content.decode()
    assert "The file has no film column. Its columns are: code. Expected: code, film." in html
    assert "Traceback" not in html
    assert preview.context.get("confirm_form") is None


def test_a_file_that_is_not_a_spreadsheet_is_refused(admin_client):
    preview = upload(admin_client, "ticket", b"\x00\x01 not a workbook", name="x.xlsx", file_format=XLSX_FORMAT)
    assert preview.status_code == 200
    assert "The file is neither CSV text nor an XLSX workbook." in preview.content.decode()


def test_a_row_that_goes_bad_between_preview_and_confirm_stops_the_whole_file(admin_client):
    elf = FilmFactory(name="Elf")
    preview = import_file(admin_client, "ticket", csv_file(["code", "film"], ["A-1", "elf"], ["A-2", "elf"]))
    TicketFactory(code="A-2", film=elf)  # someone else loads the same code meanwhile

    done = confirm(admin_client, "ticket", preview)
    assert "Nothing was imported" in done.content.decode()
    assert done.redirect_chain[-1][0] == reverse("admin:campaign_ticket_import")
    assert list(Ticket.objects.values_list("code", flat=True)) == ["A-2"]
    assert not DataExchangeLog.objects.exists()


# -- exports ------------------------------------------------------------------------------------


def test_export_then_import_through_the_admin_gives_the_same_rows(admin_client):
    CinemaFactory.create_batch(3)
    CinemaFactory(name='=HYPERLINK("http://evil.example","Tickets")', lat=None, lng=None)
    before = list(Cinema.objects.values())

    exported = export(admin_client, "cinema")
    assert exported["Content-Type"] == "text/csv"
    assert "'=HYPERLINK(" in exported.content.decode()

    preview = import_file(admin_client, "cinema", exported.content)
    assert b"0 new, 0 updated, 4 unchanged or empty" in preview.content
    confirm(admin_client, "cinema", preview)
    assert list(Cinema.objects.values()) == before
    assert list(DataExchangeLog.objects.order_by("pk").values_list("action", "rows")) == [("export", 4), ("import", 4)]


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_screening_export_names_film_and_cinema_by_slug(admin_client, file_format):
    ScreeningFactory(
        film=FilmFactory(name="Elf"),
        cinema=CinemaFactory(name="York"),
        starts_at=dt.datetime(2030, 12, 19, 18, 30, tzinfo=LONDON),
        capacity=40,
    )
    response = export(admin_client, "screening", file_format=file_format)
    if file_format == XLSX_FORMAT:
        rows, number = XLSX().create_dataset(response.content).dict, int  # number cells
    else:
        rows, number = list(csv.DictReader(io.StringIO(response.content.decode()))), str
    assert rows == [
        {
            "film": "elf",
            "cinema": "york",
            "start": "2030-12-19 18:30",
            "capacity": number(40),
            "reserved": number(0),
            "seats_left": number(40),
            "sold_out": "no",
        }
    ]


def test_reservation_export_follows_the_changelist_filter(admin_client, admin_user):
    elf, klaus = FilmFactory(name="Elf"), FilmFactory(name="Klaus")
    wanted = ReservationFactory(screening=ScreeningFactory(film=elf), name="Ann")
    ReservationFactory(screening=ScreeningFactory(film=klaus), name="Bob")
    response = export(admin_client, "reservation", query=f"?screening__film__id__exact={elf.pk}")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["reference"], row["name"], row["film"]) for row in rows] == [(wanted.reference, "Ann", "Elf")]
    log = DataExchangeLog.objects.get()
    assert (log.action, log.content_type.model, log.rows, log.user) == ("export", "reservation", 1, admin_user)


# -- permissions --------------------------------------------------------------------------------


def test_staff_without_the_import_permission_cannot_import(client, django_user_model):
    staff(django_user_model, client, "view_ticket", "add_ticket", "change_ticket")
    changelist = client.get(reverse("admin:campaign_ticket_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:campaign_ticket_import").encode() not in changelist.content
    assert client.get(reverse("admin:campaign_ticket_import")).status_code == 403
    FilmFactory(name="Elf")
    assert upload(client, "ticket", csv_file(["code", "film"], ["A", "elf"])).status_code == 403
    assert client.post(reverse("admin:campaign_ticket_process_import"), {}).status_code == 403
    assert not Ticket.objects.exists()


def test_the_import_permission_opens_the_import(client, django_user_model):
    staff(django_user_model, client, "view_ticket", "import_ticket")
    changelist = client.get(reverse("admin:campaign_ticket_changelist"))
    assert reverse("admin:campaign_ticket_import").encode() in changelist.content
    FilmFactory(name="Elf")
    confirm(client, "ticket", import_file(client, "ticket", csv_file(["code", "film"], ["A", "elf"])))
    assert Ticket.objects.filter(code="A").exists()


def test_reservation_export_needs_the_export_permission(client, django_user_model):
    ReservationFactory(name="Ann")
    user = staff(django_user_model, client, "view_reservation", "change_reservation")
    changelist = client.get(reverse("admin:campaign_reservation_changelist"))
    assert changelist.status_code == 200
    assert reverse("admin:campaign_reservation_export").encode() not in changelist.content
    assert client.get(reverse("admin:campaign_reservation_export")).status_code == 403
    assert client.post(reverse("admin:campaign_reservation_export"), {"format": CSV_FORMAT}).status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="export_reservation"))
    verified_login(client, user)
    assert (
        reverse("admin:campaign_reservation_export").encode()
        in client.get(reverse("admin:campaign_reservation_changelist")).content
    )
    response = export(client, "reservation")
    assert response.status_code == 200
    assert "Ann" in response.content.decode()
    assert not DataExchangeLog.objects.exclude(user=user).exists()


def test_reservations_cannot_be_imported(admin_client):
    changelist = admin_client.get(reverse("admin:campaign_reservation_changelist"))
    assert b"import_link" not in changelist.content
    assert Reservation.objects.count() == 0


def test_the_log_is_read_only(admin_client):
    FilmFactory()
    export(admin_client, "film")
    assert admin_client.get(reverse("admin:campaign_dataexchangelog_changelist")).status_code == 200
    log = DataExchangeLog.objects.get()
    assert admin_client.get(reverse("admin:campaign_dataexchangelog_add")).status_code == 403
    change = admin_client.post(reverse("admin:campaign_dataexchangelog_change", args=[log.pk]), {"rows": 99})
    assert change.status_code == 403
    log.refresh_from_db()
    assert log.rows == 1


# -- last season's files, as staff really send them ---------------------------------------------


def test_screenings_that_start_in_the_past_are_refused_by_row(admin_client):
    elf, york = FilmFactory(name="Elf"), CinemaFactory(name="York - Vangarde")
    yesterday = (timezone.localtime() - dt.timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0)
    ScreeningFactory(film=elf, cinema=york, starts_at=yesterday, capacity=10)
    tomorrow = yesterday + dt.timedelta(days=2)
    content = csv_file(
        ["film", "cinema", "start", "capacity"],
        ["elf", "york-vangarde", f"{yesterday:%Y-%m-%d %H:%M}", "10"],  # unchanged: left alone
        ["elf", "york-vangarde", "2023-12-19 18:30", "40"],  # new, in the past
        ["elf", "york-vangarde", f"{yesterday:%Y-%m-%d %H:%M}", "12"],  # changed, in the past
        ["elf", "york-vangarde", f"{tomorrow:%Y-%m-%d %H:%M}", "40"],
    )
    before = list(Screening.objects.values())

    preview = upload(admin_client, "screening", content)
    html = preview.content.decode()
    assert preview.context.get("confirm_form") is None
    assert "Row 3, start: 2023-12-19 18:30 is in the past" in html
    assert f"Row 4, start: {yesterday:%Y-%m-%d %H:%M} is in the past" in html
    assert "Row 2," not in html
    assert "Row 5," not in html
    assert list(Screening.objects.values()) == before


def last_and_this_season() -> tuple[bytes, list[dt.datetime]]:
    """A schedule file as staff send it: last season's rows (and yesterday's) above this season's."""
    FilmFactory(name="Elf")
    CinemaFactory(name="York - Vangarde")
    yesterday = (timezone.localtime() - dt.timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0)
    coming = [yesterday + dt.timedelta(days=2), yesterday + dt.timedelta(days=3)]
    content = csv_file(
        ["film", "cinema", "start", "capacity"],
        ["elf", "york-vangarde", "2025-12-19 18:30", "40"],
        ["elf", "york-vangarde", f"{yesterday:%Y-%m-%d %H:%M}", "40"],
        *(["elf", "york-vangarde", f"{start:%Y-%m-%d %H:%M}", "40"] for start in coming),
    )
    return content, coming


def test_rows_in_the_past_can_be_skipped_and_are_counted(admin_client):
    content, coming = last_and_this_season()
    preview = import_file(admin_client, "screening", content, name="schedule.csv", skip_past="on")
    html = preview.content.decode()
    assert "2 new, 0 updated, 0 unchanged or empty, 2 in the past, skipped. Nothing is saved until you confirm." in html
    assert len(preview.context["result"].valid_rows()) == 2  # the preview lists the rows it imports
    assert "is in the past" not in html
    assert not Screening.objects.exists()

    done = confirm(admin_client, "screening", preview)
    assert (
        "Import finished: 2 new, 0 updated, 0 unchanged or empty, 2 in the past, skipped (screenings)."
        in done.content.decode()
    )
    assert sorted(Screening.objects.values_list("starts_at", flat=True)) == coming
    log = DataExchangeLog.objects.get()
    assert (log.rows, log.new_rows, log.skipped_rows) == (4, 2, 2)


def test_skipping_rows_in_the_past_still_imports_the_rest_all_or_nothing(admin_client):
    content, coming = last_and_this_season()
    content += csv_file(["elf", "york-vangarde", f"{coming[-1] + dt.timedelta(days=1):%Y-%m-%d %H:%M}", "lots"])
    preview = upload(admin_client, "screening", content, skip_past="on")
    html = preview.content.decode()
    assert preview.context.get("confirm_form") is None
    assert "1 row has errors, so nothing was imported" in html
    assert "Row 6, capacity:" in html
    assert "is in the past" not in html
    assert not Screening.objects.exists()


def test_without_the_option_rows_in_the_past_are_refused_and_the_option_is_named(admin_client):
    content, _ = last_and_this_season()
    html = upload(admin_client, "screening", content).content.decode()
    assert (
        "Row 2, start: 2025-12-19 18:30 is in the past: such a screening is never shown or booked. "
        "Correct the date or remove the row, or tick “Skip rows in the past”."
    ) in html
    assert 'name="skip_past"' in html


def kept_file(response) -> str:
    return response.context["kept_file"]["token"]


def test_a_file_with_problems_is_kept_to_check_again_with_the_option_without_choosing_it_again(admin_client):
    content, coming = last_and_this_season()
    refused = upload(admin_client, "screening", content, name="schedule.csv")
    html = refused.content.decode()
    assert "File checked: <strong>schedule.csv</strong>." in html
    [file_input] = re.findall(r'<input type="file" name="import_file"[^>]*>', html)
    assert "required" not in file_input  # the browser lets the form go without a file
    again = admin_client.post(
        reverse("admin:campaign_screening_import"),
        {"resource": "0", "format": CSV_FORMAT, "kept_file": kept_file(refused), "skip_past": "on"},
    )
    assert again.context.get("confirm_form") is not None, again.content.decode()
    assert b"2 new, 0 updated, 0 unchanged or empty, 2 in the past, skipped" in again.content
    assert not os.path.exists(signing.loads(kept_file(refused), salt=KEPT_FILE_SALT)["tmp"])  # one copy at a time
    done = confirm(admin_client, "screening", again)
    assert sorted(Screening.objects.values_list("starts_at", flat=True)) == coming
    assert DataExchangeLog.objects.get().file_name == "schedule.csv"
    assert done.redirect_chain[-1][0] == reverse("admin:campaign_screening_changelist")


def test_a_kept_file_is_only_the_one_checked_for_this_staff_member(admin_client, admin_user, django_user_model):
    content, _ = last_and_this_season()
    token = kept_file(upload(admin_client, "screening", content))
    forged = signing.dumps({"tmp": "/etc/hostname", "name": "x.csv", "user": admin_user.pk}, salt="another")
    other = django_user_model.objects.create_superuser("other", "o@example.com", "-")
    borrowed = signing.dumps({**signing.loads(token, salt=KEPT_FILE_SALT), "user": other.pk}, salt=KEPT_FILE_SALT)
    for token in (forged, borrowed):
        response = admin_client.post(
            reverse("admin:campaign_screening_import"), {"resource": "0", "format": CSV_FORMAT, "kept_file": token}
        )
        assert response.context["form"].errors == {"import_file": ["This field is required."]}
        assert response.context.get("result") is None


def test_a_naive_films_file_shows_its_errors_and_its_ignored_columns_at_once(admin_client):
    content = csv_file(
        ["name", "release_year", "certificate", "running_time", "director", "Trailer URL"],
        ["Elf", "2003", "PG", "97 mins", "Jon Favreau", "https://example.org/elf"],
        ["Klaus", "2019", "PG", "1h 36m", "Sergio Pablos", ""],
    )
    refused = upload(admin_client, "film", content, name="films.csv")
    html = refused.content.decode()
    assert "Row 2, running_time: " in html
    assert "Row 3, running_time: " in html
    assert "Ignored columns, not imported: director, Trailer URL." in html
    assert "File checked: <strong>films.csv</strong>." in html
    again = admin_client.post(
        reverse("admin:campaign_film_import"), {"resource": "0", "format": CSV_FORMAT, "kept_file": kept_file(refused)}
    )
    assert "Row 2, running_time: " in again.content.decode()  # the same file, checked again
    assert not Film.objects.exists()


def test_the_preview_names_the_columns_it_ignores(admin_client):
    content = csv_file(["name", "release_date", "certificate", "Notes"], ["Elf", "2003", "PG", "x"])
    preview = import_file(admin_client, "film", content)
    html = preview.content.decode()
    assert "Ignored columns, not imported: release_date, Notes." in html
    assert "This import reads: name, slug, release_year," in html


def test_a_film_file_without_a_name_or_slug_column_is_refused(admin_client):
    preview = upload(admin_client, "film", csv_file(["title", "release_year"], ["Elf", "2003"]))
    assert preview.context.get("confirm_form") is None
    assert "The file has no slug or name column. Its columns are: title, release_year." in preview.content.decode()
    assert not Film.objects.exists()


FILMS_CSV = csv_file(["name", "release_year", "live"], ["Elf", "2003", "yes"], ["Klaus", "2019", "no"])
FILMS_XLSX = xlsx_file(["name", "release_year", "live"], ["Elf", "2003", "yes"], ["Klaus", "2019", "no"])


@pytest.mark.parametrize(
    ("content", "chosen"), [(FILMS_CSV, XLSX_FORMAT), (FILMS_XLSX, CSV_FORMAT)], ids=["csv-as-xlsx", "xlsx-as-csv"]
)
def test_the_format_is_read_from_the_file_whatever_was_chosen(admin_client, content, chosen):
    preview = import_file(admin_client, "film", content, file_format=chosen)
    assert b"2 new, 0 updated, 0 unchanged or empty" in preview.content
    confirm(admin_client, "film", preview)
    assert list(Film.objects.values_list("name", "release_date", "live")) == [
        ("Elf", "2003", True),
        ("Klaus", "2019", False),
    ]


def test_a_csv_with_a_byte_order_mark_reads_its_first_column(admin_client):
    content = "\ufeffname,release_year\r\nNoël,2003\r\n".encode()
    confirm(admin_client, "film", import_file(admin_client, "film", content))
    assert list(Film.objects.values_list("name", "release_date")) == [("Noël", "2003")]


UNREADABLE_FILES = {
    "latin-1": (
        "name,release_year\nElf,2003\nCafé Noël,2010\n".encode("latin-1"),
        "The file is not UTF-8 text: line 3 has a character that cannot be read. "
        "Save it from your spreadsheet as &quot;CSV UTF-8&quot;, or as XLSX, and upload it again.",
    ),
    "ragged": (
        csv_file(["name", "release_year"], ["Elf", "2003"], ["Klaus", "2019", "extra", "cells"], ["Wonka", "2023"]),
        "Row 3 has 4 cells but the header row has 2 columns. Check for a stray comma or a shifted cell on that row.",
    ),
    "binary": (
        b"\x00\x01 not a workbook",
        "The file is neither CSV text nor an XLSX workbook. Upload a .csv (UTF-8) or .xlsx file.",
    ),
    "broken-xlsx": (
        FILMS_XLSX[:200],
        "The file looks like an XLSX workbook but cannot be opened (it may be damaged or incomplete). "
        "Save it again from your spreadsheet and upload it again.",
    ),
}


@pytest.mark.parametrize("chosen", [CSV_FORMAT, XLSX_FORMAT])
@pytest.mark.parametrize("kind", UNREADABLE_FILES)
def test_an_unreadable_file_is_refused_in_plain_words(admin_client, kind, chosen):
    content, message = UNREADABLE_FILES[kind]
    preview = upload(admin_client, "film", content, file_format=chosen)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert preview.context.get("confirm_form") is None
    assert message in html
    for library_word in ("encountered", "Error", "BadZipFile", "InvalidDimensions", "Traceback"):
        assert library_word not in html.replace("errornote", "").replace("errorlist", "")
    assert not Film.objects.exists()


def test_the_success_message_uses_the_preview_word_for_unchanged_rows(admin_client):
    FilmFactory(name="Elf", slug="elf", release_date="2003", live=True)
    content = csv_file(["name", "release_year", "live"], ["Elf", "2003", "yes"], ["Klaus", "2019", "no"])
    preview = import_file(admin_client, "film", content)
    assert b"1 new, 0 updated, 1 unchanged or empty" in preview.content
    done = confirm(admin_client, "film", preview)
    html = done.content.decode()
    assert "Import finished: 1 new, 0 updated, 1 unchanged or empty (films)." in html
    assert "skipped" not in html


def test_the_screening_export_reports_seats_reserved_left_and_sold_out(admin_client):
    elf, york = FilmFactory(name="Elf"), CinemaFactory(name="York")
    full = ScreeningFactory(
        film=elf, cinema=york, starts_at=dt.datetime(2030, 12, 19, 18, 30, tzinfo=LONDON), capacity=4
    )
    ReservationFactory(screening=full, quantity=4)
    open_ = ScreeningFactory(
        film=elf, cinema=york, starts_at=dt.datetime(2030, 12, 20, 18, 30, tzinfo=LONDON), capacity=9
    )
    ReservationFactory(screening=open_, quantity=2)
    ScreeningFactory(film=elf, cinema=york, starts_at=dt.datetime(2030, 12, 21, 18, 30, tzinfo=LONDON), capacity=5)

    exported = export(admin_client, "screening")
    rows = [
        (row["start"], row["capacity"], row["reserved"], row["seats_left"], row["sold_out"])
        for row in csv.DictReader(io.StringIO(exported.content.decode()))
    ]
    assert rows == [
        ("2030-12-19 18:30", "4", "4", "0", "yes"),
        ("2030-12-20 18:30", "9", "2", "7", "no"),
        ("2030-12-21 18:30", "5", "0", "5", "no"),
    ]

    # The report columns are ignored on import: the same file changes nothing.
    preview = import_file(admin_client, "screening", exported.content)
    assert b"0 new, 0 updated, 3 unchanged or empty" in preview.content
    assert b"Ignored columns" not in preview.content
