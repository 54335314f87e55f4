"""Erasing a customer on request, anonymising old bookings, and the copy of what is held about a person."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models import Sum
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import Email, Reservation, Screening, Ticket
from backoffice.campaign.services import personal_data
from backoffice.campaign.services.emails import door_lists_queue, email_deliver
from backoffice.campaign.services.personal_data_register import ERASED_NAME, erased_email
from backoffice.campaign.tasks import reservations_anonymise
from backoffice.campaign.tests.booking_support import assert_invariants

pytestmark = pytest.mark.django_db

SCROOGE = "Ebenezer Scrooge"
OLD_ADDRESS = "ebenezer@old-counting-house.example"
ADDRESS = "Scrooge@Counting-House.example"
IP = "192.0.2.77"
CHANGELIST = reverse("admin:campaign_reservation_changelist")


@pytest.fixture
def mail_files(settings, tmp_path):
    settings.EMAIL_BACKEND = "backoffice.campaign.private_files.PrivateFileEmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    return tmp_path


@pytest.fixture
def screening():
    film = FilmFactory(name="A Christmas Carol")
    TicketFactory.create_batch(10, film=film)
    cinema = CinemaFactory(name="London - Leicester Square", contact_email="door@cinema.example")
    return ScreeningFactory(film=film, cinema=cinema, capacity=10)


def book(screening, **fields) -> Reservation:
    return Reservation.objects.create(screening=screening, access_code=AccessCodeFactory(), quantity=2, **fields)


def deliver_all() -> None:
    for pk in Email.objects.filter(status=Email.Status.QUEUED).values_list("pk", flat=True):
        assert email_deliver(pk)


@pytest.fixture
def cratchit(screening):
    return book(screening, name="Bob Cratchit", email="bob@cratchit.example", ip_address="198.51.100.1")


@pytest.fixture
def scrooge(screening, cratchit, mail_files, admin_user):
    """A customer who booked, changed address, appears on a door list and in the admin's log."""
    reservation = book(screening, name=SCROOGE, email=OLD_ADDRESS, ip_address=IP)
    Reservation.objects.update_booking(reservation, email=ADDRESS)
    # Bookings close: the cinema is sent its door list, naming him.
    Screening.objects.filter(pk=screening.pk).update(starts_at=timezone.now() + dt.timedelta(minutes=30))
    assert door_lists_queue() == 1
    deliver_all()
    # Entries written before descriptions dropped the name, and one about one of the emails.
    LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(Reservation),
        object_id=str(reservation.pk),
        object_repr=f"{reservation.reference} - {SCROOGE} (2 seats)",
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Name"]}}]',
    )
    email = Email.objects.filter(reservation=reservation).first()
    LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(Email),
        object_id=str(email.pk),
        object_repr=str(email),
        action_flag=CHANGE,
        change_message="[]",
    )
    return reservation


def columns_containing(text: str) -> list[str]:
    """Every text-like column of every table (admin log and outbox included) that holds ``text``."""
    found = []
    text_like = (models.CharField, models.TextField, models.JSONField, models.GenericIPAddressField)
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if isinstance(field, text_like):
                as_text = Cast(field.name, models.TextField())
                if model._default_manager.annotate(t=as_text).filter(t__icontains=text).exists():
                    found.append(f"{model._meta.db_table}.{field.column}")
    return found


def files_containing(folder, text: str) -> list[str]:
    return [
        path.name for path in folder.iterdir() if text.lower() in path.read_bytes().decode(errors="replace").lower()
    ]


def reporting_counts() -> dict:
    return {
        "reservations": Reservation.objects.count(),
        "seats": Reservation.objects.aggregate(seats=Sum("quantity"))["seats"],
        "held": sorted(Ticket.objects.held().values_list("code", "reservation_id")),
        "emails": Email.objects.count(),
        "log": LogEntry.objects.count(),
    }


def test_erase_customer_leaves_no_trace_of_the_person_and_keeps_the_counts(scrooge, cratchit, mail_files):
    for trace in (SCROOGE, ADDRESS, OLD_ADDRESS, IP):
        assert columns_containing(trace), f"the test set-up should have put {trace!r} somewhere"
    assert "campaign_historicalreservation.email" in columns_containing(OLD_ADDRESS)
    assert files_containing(mail_files, ADDRESS)
    assert files_containing(mail_files, OLD_ADDRESS)
    counts = reporting_counts()
    cratchit_files = set(files_containing(mail_files, "bob@cratchit.example"))

    out = call_command_output("erase_customer", ADDRESS.upper())

    for trace in (SCROOGE, ADDRESS, OLD_ADDRESS, IP):
        assert columns_containing(trace) == [], trace
    assert files_containing(mail_files, ADDRESS) == files_containing(mail_files, OLD_ADDRESS) == []
    assert reporting_counts() == counts
    scrooge.refresh_from_db()
    assert (scrooge.name, scrooge.email, scrooge.ip_address) == (
        ERASED_NAME,
        erased_email(scrooge.reference),
        None,
    )
    assert "1 reservation(s)" in out
    # The other customer keeps everything, including his own confirmation file.
    cratchit.refresh_from_db()
    assert (cratchit.name, cratchit.email, cratchit.ip_address) == (
        "Bob Cratchit",
        "bob@cratchit.example",
        "198.51.100.1",
    )
    door_list_files = set(files_containing(mail_files, "door@cinema.example"))
    assert {name for name in cratchit_files if (mail_files / name).exists()} == cratchit_files - door_list_files
    door_list = Email.objects.get(kind=Email.Kind.DOOR_LIST)
    assert {row["name"] for row in door_list.payload["rows"]} == {ERASED_NAME, "Bob Cratchit"}


def call_command_output(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_erase_customer_refuses_an_address_it_does_not_find_and_changes_nothing(scrooge):
    before = list(Reservation.objects.values_list("name", "email"))
    with pytest.raises(CommandError, match=r"No reservation was booked with the email address 'nobody@example\.com'"):
        call_command("erase_customer", "nobody@example.com")
    assert list(Reservation.objects.values_list("name", "email")) == before


def test_a_second_erasure_finds_nothing_left(scrooge):
    call_command_output("erase_customer", ADDRESS)
    with pytest.raises(CommandError, match="No reservation"):
        call_command("erase_customer", ADDRESS)


def test_a_new_log_entry_does_not_carry_the_name(admin_client, screening):
    reservation = ReservationFactory(screening=screening, name=SCROOGE, quantity=0)
    assert SCROOGE not in str(reservation)


def test_the_admin_action_asks_then_erases_the_selected_people(admin_client, scrooge, cratchit):
    data = {"action": "erase_personal_data", "_selected_action": [scrooge.pk]}
    confirmation = admin_client.post(CHANGELIST, data)
    assert confirmation.status_code == 200
    assert ADDRESS in confirmation.content.decode()
    assert Reservation.objects.filter(name=SCROOGE).exists()

    done = admin_client.post(CHANGELIST, {**data, "post": "yes"}, follow=True)
    assert "Erased one person: 1 reservation(s)" in done.content.decode()
    assert columns_containing(SCROOGE) == columns_containing(ADDRESS) == []
    assert Reservation.objects.filter(name="Bob Cratchit").exists()


def test_anonymise_reservations_touches_only_screenings_that_ended_long_enough_ago(screening, mail_files, monkeypatch):
    monkeypatch.setattr(personal_data, "ANONYMISE_CHUNK", 1)  # two chunks, counted together
    now = timezone.now()
    film = FilmFactory(running_time=120)
    long_ago = ScreeningFactory(film=film, starts_at=now - dt.timedelta(days=40))
    # Started 31 days minus one hour ago: with two hours' running time it ended less than 30 days ago.
    just_inside = ScreeningFactory(film=film, starts_at=now - dt.timedelta(days=30, hours=1))
    old = ReservationFactory(screening=long_ago, name="Old Fezziwig", email="fezziwig@example.com", ip_address=IP)
    cancelled = ReservationFactory(screening=long_ago, quantity=0, email="fan@example.com")
    recent = ReservationFactory(screening=just_inside, name="Recent Belle", email="belle@example.com")
    upcoming = ReservationFactory(screening=screening, name="Tiny Tim", email="tim@example.com")
    counts = reporting_counts()

    out = call_command_output("anonymise_reservations", "--older-than", "30")

    assert "Anonymised 2 reservation(s)" in out
    assert reporting_counts() == counts
    assert columns_containing("Old Fezziwig") == columns_containing("fan@example.com") == []
    assert columns_containing(IP) == []
    for untouched, name in ((recent, "Recent Belle"), (upcoming, "Tiny Tim")):
        untouched.refresh_from_db()
        assert untouched.name == name
    old.refresh_from_db()
    cancelled.refresh_from_db()
    assert {old.email, cancelled.email} == {erased_email(old.reference), erased_email(cancelled.reference)}

    again = call_command_output("anonymise_reservations", "--older-than", "30")
    assert "Anonymised 0 reservation(s)" in again
    assert reporting_counts() == counts


def test_beat_anonymises_after_the_retention_setting(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 10
    ended = ScreeningFactory(film=FilmFactory(running_time=90), starts_at=timezone.now() - dt.timedelta(days=11))
    kept = ScreeningFactory(film=FilmFactory(running_time=90), starts_at=timezone.now() - dt.timedelta(days=9))
    old = ReservationFactory(screening=ended, name="Old Fezziwig")
    recent = ReservationFactory(screening=kept, name="Recent Belle")

    assert reservations_anonymise() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.name, recent.name) == (ERASED_NAME, "Recent Belle")


@pytest.mark.parametrize("days", ["-1", "thirty", ""])
def test_anonymise_reservations_refuses_a_bad_number_of_days(days):
    with pytest.raises(CommandError, match="--older-than must be a whole number of days"):
        call_command("anonymise_reservations", "--older-than", days)


def test_the_subject_access_copy_holds_bookings_emails_and_staff_changes(admin_client, scrooge):
    response = admin_client.post(CHANGELIST, {"action": "export_personal_data", "_selected_action": [scrooge.pk]})
    assert response["Content-Disposition"] == 'attachment; filename="personal-data.json"'
    held = json.loads(response.content)
    assert [(r["reference"], r["name"], r["ip_address"]) for r in held["reservations"]] == [
        (scrooge.reference, SCROOGE, IP)
    ]
    assert {e["to"] for e in held["emails"]} == {ADDRESS, OLD_ADDRESS}
    assert len(held["changes_by_staff"]) == 2
    assert [(v["change"], v["email"]) for v in held["history"]] == [("Created", OLD_ADDRESS), ("Changed", ADDRESS)]


def test_the_subject_access_copy_needs_the_export_permission(client, django_user_model, scrooge):
    staff = django_user_model.objects.create_user("agent", password="pw", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__in=["view_reservation", "change_reservation"]))
    client.force_login(staff)
    response = client.post(CHANGELIST, {"action": "export_personal_data", "_selected_action": [scrooge.pk]})
    assert "Content-Disposition" not in response
    assert SCROOGE not in response.content.decode()


def test_an_address_the_booking_was_changed_from_still_finds_the_person(scrooge, cratchit, mail_files):
    out = call_command_output("erase_customer", OLD_ADDRESS)

    assert "1 reservation(s)" in out
    for trace in (SCROOGE, ADDRESS, OLD_ADDRESS, IP):
        assert columns_containing(trace) == [], trace
    cratchit.refresh_from_db()
    assert cratchit.name == "Bob Cratchit"


def test_anonymising_real_bookings_keeps_every_invariant(screening, mail_files):
    booked = [
        book(screening, name=name, email=f"{name.split()[0].lower()}@example.com", ip_address=IP)
        for name in ("Old Fezziwig", "Belle Fezziwig", "Dick Wilkins")
    ]
    Reservation.objects.update_booking(booked[2], quantity=0)  # a cancellation: it held tickets once
    deliver_all()
    assert_invariants(ticket_stock=10)
    Screening.objects.filter(pk=screening.pk).update(starts_at=timezone.now() - dt.timedelta(days=40))
    counts = reporting_counts()

    call_command_output("anonymise_reservations", "--older-than", "30")

    assert_invariants(ticket_stock=10)
    assert reporting_counts() == counts
    assert list(Reservation.objects.exclude(name=ERASED_NAME)) == []
    for trace in ("Fezziwig", "Dick Wilkins", "@example.com", IP):
        assert columns_containing(trace) == [], trace
