"""Names that reach an email header or a file name refuse control characters at the model (admin,
import, booking), and a row stored before that rule still sends its emails."""

import datetime as dt
from email import message_from_bytes

import pytest
from django.core.exceptions import ValidationError
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
from backoffice.campaign.models import Cinema, Email, Film, Reservation, Screening, Ticket
from backoffice.campaign.one_line import header_text
from backoffice.campaign.resources.formats import read_spreadsheet
from backoffice.campaign.resources.tickets import TicketResource
from backoffice.campaign.services import emails
from backoffice.campaign.services.emails import door_list_rows, email_deliver, email_queue
from backoffice.campaign.tests.test_admin_import_export import csv_file, upload

pytestmark = pytest.mark.django_db

# Excel's Alt+Enter in a cell, and what other programs paste: vertical tab, form feed, file separator.
HOSTILE_NAMES = ["Multi\r\nLine Film", "Multi\x0bLine Film", "Multi\x0cLine Film", "Multi\x1cLine Film"]
LINE_BREAK = "Keep this on one line: it contains a line break at character 6. Remove it and type the text again."


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_film_or_cinema_name_with_a_line_break_is_refused(name):
    for instance in (Film(name=name, slug="x"), Cinema(name=name, slug="x")):
        with pytest.raises(ValidationError) as refused:
            instance.full_clean()
        assert refused.value.message_dict["name"] == [LINE_BREAK]


def test_other_control_characters_and_tabs_are_refused_by_name():
    with pytest.raises(ValidationError) as refused:
        Film(name="Elf\x07", slug="x").full_clean()
    assert refused.value.message_dict["name"] == [
        "Keep this on one line: it contains an invisible control character (U+0007) at character 4. "
        "Remove it and type the text again."
    ]
    with pytest.raises(ValidationError, match="a tab at character 4"):
        Film(name="Elf\tTwo", slug="x").full_clean()
    Film(name="Noël: Élan 🎄", slug="x").full_clean()  # any printable text is fine


def test_free_text_keeps_its_line_breaks():
    CinemaFactory.build(name="York", slug="york", address="Vangarde Way\r\nYork").full_clean()
    screening = ScreeningFactory()
    screening.cancellation_reason = "Projector broken.\nSorry."
    screening.full_clean()
    screening.cancellation_reason = "Projector\x0bbroken."
    with pytest.raises(ValidationError, match=r"U\+000B"):
        screening.full_clean()


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_admin_refuses_the_name_with_a_field_error(admin_client, name):
    response = admin_client.post(reverse("admin:campaign_film_add"), {"name": name, "slug": "multi"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [LINE_BREAK]
    assert not Film.objects.exists()


def test_an_import_with_an_in_cell_line_break_is_refused_by_row_and_column(admin_client):
    FilmFactory(name="Elf", slug="elf")
    response = upload(admin_client, "film", csv_file(["name", "slug"], ["Multi\r\nLine Film", "multi"]))
    html = response.content.decode()
    assert response.context.get("confirm_form") is None
    assert LINE_BREAK in html
    assert list(Film.objects.values_list("name", flat=True)) == ["Elf"]


def test_a_ticket_code_that_would_break_an_attachment_name_is_refused_in_either_import_path(admin_client):
    FilmFactory(name="Elf", slug="elf")
    response = upload(admin_client, "ticket", csv_file(["code", "film"], ["ELF\x0b1", "elf"]))
    assert "Keep this on one line: it contains a line break at character 4." in response.content.decode()
    assert not Ticket.objects.exists()
    outcome = TicketResource().load(read_spreadsheet("code,film\nELF\x0b1,elf\n"), dry_run=False)
    assert outcome["errors"] == [f"Row 2, code: {LINE_BREAK.replace('character 6', 'character 4')}"]
    assert not Ticket.objects.exists()


def test_a_booking_name_with_a_line_break_is_refused():
    screening = ScreeningFactory()
    TicketFactory.create_batch(2, film=screening.film)
    with pytest.raises(ValidationError) as refused:
        Reservation.objects.create(
            screening=screening, access_code=AccessCodeFactory(), quantity=1, name="Mary\nHolly", email="m@example.com"
        )
    assert "name" in refused.value.message_dict
    assert not Reservation.objects.exists()


def test_header_text_puts_anything_on_one_line():
    assert header_text("Multi\r\n Line\x0b\x0bFilm\u2028 ") == "Multi Line Film"


@pytest.fixture
def smtp_delivery(settings, smtp, monkeypatch):
    """Messages go to the real SMTP test server over a connection of this test's own."""
    mailbox, port = smtp
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    monkeypatch.setattr(emails, "_smtp", None)
    return mailbox


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("kind", [Email.Kind.CONFIRMATION, Email.Kind.REMINDER, Email.Kind.DOOR_LIST])
def test_a_row_stored_before_the_rule_still_sends_with_a_one_line_subject(smtp_delivery, name, kind):
    starts_at = (timezone.now() + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    cinema = CinemaFactory(name="York", contact_email="door@vue.example")
    screening = ScreeningFactory(film=FilmFactory(name="Elf"), cinema=cinema, starts_at=starts_at)
    reservation = ReservationFactory(screening=screening, quantity=2, name="Mary\x0bHolly")
    for number, ticket in enumerate(TicketFactory.create_batch(2, film=screening.film, reservation=reservation)):
        # A code with a line break would end up in an image's file name.
        Ticket.objects.filter(pk=ticket.pk).update(code=f"ELF\r\n{number}")
    # Written past the validators, as rows saved before them were.
    Film.objects.filter(pk=screening.film_id).update(name=name)
    Cinema.objects.filter(pk=cinema.pk).update(name="York\x0bVangarde")
    screening = Screening.objects.select_related("film", "cinema").get(pk=screening.pk)
    if kind == Email.Kind.DOOR_LIST:
        payload = {**emails._screening_payload(screening), "rows": door_list_rows(screening=screening)}
        email = email_queue(kind=kind, to="door@vue.example", payload=payload, screening=screening)
    else:
        reservation = Reservation.objects.select_related("screening__film", "screening__cinema").get(pk=reservation.pk)
        email = emails._queue_booking(reservation, kind)

    assert email_deliver(email.pk) is True
    email.refresh_from_db()
    assert (email.status, email.last_error) == (Email.Status.SENT, "")
    assert smtp_delivery.wait_for(1, timeout=5) == 1
    raw = smtp_delivery.messages()[0].as_bytes()
    headers = raw.split(b"\n\n", 1)[0]
    for control in (b"\x0b", b"\x0c", b"\x1c"):
        assert control not in headers
    subject = str(message_from_bytes(raw)["Subject"])
    assert (
        "Multi Line Film, York Vangarde," in subject if kind == Email.Kind.DOOR_LIST else "Multi Line Film," in subject
    )
    assert subject == header_text(subject)
    files = [part.get_filename() for part in message_from_bytes(raw).walk() if part.get_filename()]
    if kind != Email.Kind.DOOR_LIST:
        assert sorted(files) == ["ELF 0.png", "ELF 1.png", "screening.ics"]
