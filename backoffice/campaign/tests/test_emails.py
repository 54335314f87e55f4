"""The outbox: what a booking change queues, what the message says, retries, reminders, door lists."""

import datetime as dt
import threading
import time
from email import message_from_bytes
from functools import partial

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.email_messages import email_message
from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import LONDON, Email, Reservation, Ticket
from backoffice.campaign.resources.door_lists import DoorListResource
from backoffice.campaign.resources.reservations import ReservationExportResource
from backoffice.campaign.services.emails import (
    door_list_rows,
    door_lists_queue,
    email_deliver,
    email_publish,
    emails_sweep,
    reminders_queue,
    reservation_confirmation_resend,
)
from backoffice.campaign.tests.conftest import publishing_to
from backoffice.campaign.tests.mail_support import calendar, html_part, qr_codes, text_part
from backoffice.campaign.tests.servers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def elf():
    film = FilmFactory(name="Elf", running_time=97)
    TicketFactory.create_batch(20, film=film)
    return film


@pytest.fixture
def screening(elf):
    cinema = CinemaFactory(
        name="York - Vangarde",
        address="Vangarde Shopping Park\nYork",
        lat=53.99,
        lng=-1.05,
        contact_email="door@vue.example",
    )
    starts_at = (timezone.now() + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    return ScreeningFactory(film=elf, cinema=cinema, starts_at=starts_at, capacity=20)


def book(screening, **fields) -> Reservation:
    defaults = {"access_code": AccessCodeFactory(), "quantity": 2, "name": "Mary Holly", "email": "mary@example.com"}
    return Reservation.objects.create(screening=screening, **{**defaults, **fields})


def outbox() -> list[tuple[str, str]]:
    return list(Email.objects.order_by("pk").values_list("kind", "to"))


def sent_message(email: Email):
    return message_from_bytes(email_message(email).message().as_bytes())


def test_a_booking_queues_one_confirmation_carrying_every_ticket_code(screening):
    reservation = book(screening, quantity=3)

    assert outbox() == [("confirmation", "mary@example.com")]
    email = Email.objects.get()
    codes = sorted(reservation.tickets.values_list("code", flat=True))
    assert email.payload["codes"] == codes
    assert email.status == Email.Status.QUEUED
    # Queued means issued: from now on these codes are out.
    assert not reservation.tickets.filter(issued_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"quantity": 1}, [("update", "mary@example.com")]),
        ({"screening": "other"}, [("update", "mary@example.com")]),
        ({"email": "holly@example.com"}, [("update", "holly@example.com"), ("address_changed", "mary@example.com")]),
        ({"quantity": 0}, [("cancellation", "mary@example.com")]),
        ({"name": "Mary Holly-Berry"}, []),
        ({"email": "MARY@example.com"}, []),
    ],
)
def test_each_change_queues_what_the_customer_must_hear(screening, change, expected):
    reservation = book(screening)
    if change.get("screening") == "other":
        change = {"screening": ScreeningFactory(film=screening.film, cinema=screening.cinema)}

    Reservation.objects.update_booking(reservation, **change)

    assert outbox()[1:] == expected


def test_an_update_lists_the_tickets_held_after_the_change(screening):
    reservation = book(screening, quantity=3)
    Reservation.objects.update_booking(reservation, quantity=1)

    update = Email.objects.get(kind=Email.Kind.UPDATE)
    assert update.payload["codes"] == list(reservation.tickets.values_list("code", flat=True))
    assert update.payload["seats"] == 1


def test_the_message_has_text_html_with_decodable_qr_codes_and_a_calendar_file(screening):
    reservation = book(screening, quantity=3)
    email = Email.objects.get()
    message = sent_message(email)

    codes = sorted(reservation.tickets.values_list("code", flat=True))
    assert message["Message-ID"] == email.message_id
    assert message["To"] == "mary@example.com"
    text, html = text_part(message), html_part(message)
    for body in (text, html):
        assert reservation.reference in body
        assert "York - Vangarde" in body
        assert "openstreetmap.org" in body
        assert all(code in body for code in codes)
    assert f"{screening.starts_at.astimezone(LONDON):%H:%M} (UK time)" in text
    decoded = qr_codes(message)
    assert sorted(decoded.values()) == codes
    for cid, code in decoded.items():
        # Each image is referenced by its Content-ID and described for screen readers.
        assert f'src="cid:{cid}"' in html
        assert f'alt="QR code for ticket {code}"' in html
    event = calendar(message).walk("VEVENT")[0]
    assert event.decoded("dtstart") == screening.starts_at
    assert event.decoded("dtend") - event.decoded("dtstart") == dt.timedelta(minutes=97)
    assert "Elf" in str(event["summary"])
    assert str(event["uid"]).startswith(reservation.reference)


def test_a_cancellation_carries_no_codes_and_cancels_the_calendar_entry(screening):
    reservation = book(screening)
    Reservation.objects.update_booking(reservation, quantity=0)
    message = sent_message(Email.objects.get(kind=Email.Kind.CANCELLATION))

    assert qr_codes(message) == {}
    assert "cancelled" in text_part(message)
    event = calendar(message).walk("VEVENT")[0]
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]).startswith(reservation.reference)


def calendar_event(email: Email):
    return calendar(sent_message(email)).walk("VEVENT")[0]


def test_each_change_of_a_booking_gives_its_calendar_entry_a_higher_sequence_from_the_organizer(
    screening, tomorrow_morning, settings
):
    settings.DEFAULT_FROM_EMAIL = "Xmas Films <tickets@xmasfilms.example>"
    reservation = book(screening, quantity=2)
    Reservation.objects.update_booking(reservation, quantity=1)
    Reservation.objects.update_booking(reservation, name="Mary Holly-Berry")  # no email, still a version
    Reservation.objects.update_booking(reservation, screening=tomorrow_morning)
    booked_days_ago()
    reminders_queue()
    Reservation.objects.update_booking(reservation, quantity=0)

    kinds = ["confirmation", "update", "update", "reminder", "cancellation"]
    emails = list(Email.objects.order_by("pk"))
    assert [email.kind for email in emails] == kinds
    events = [calendar_event(email) for email in emails]
    assert [event.decoded("sequence") for event in events] == [0, 1, 3, 3, 4]
    assert len({str(event["uid"]) for event in events}) == 1
    for event in events:
        assert str(event["organizer"]) == "mailto:tickets@xmasfilms.example"
        assert event["organizer"].params["cn"] == "Xmas Films"
    assert str(events[-1]["status"]) == "CANCELLED"
    assert calendar(sent_message(emails[-1]))["method"] == "CANCEL"


def test_sending_marks_the_row_sent_and_a_repeat_delivery_sends_nothing(
    screening, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        book(screening)

    email = Email.objects.get()
    assert email.status == Email.Status.SENT
    assert email.sent_at is not None
    assert email.attempts == 1
    assert len(mail.outbox) == 1
    assert email_deliver(email.pk) is False
    assert len(mail.outbox) == 1


def test_an_smtp_failure_is_retried_with_backoff_then_given_up_with_the_reason_kept(screening, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.EMAIL_MAX_ATTEMPTS, settings.EMAIL_RETRY_SECONDS = 3, 60
    book(screening)
    email = Email.objects.get()

    delays = []
    for _ in range(3):
        before = timezone.now()
        assert email_deliver(email.pk) is False
        email.refresh_from_db()
        delays.append(round((email.next_attempt_at - before).total_seconds() / 60))
        assert "Connection refused" in email.last_error or "refused" in email.last_error.lower()
        if email.status == Email.Status.QUEUED:
            Email.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())  # time passes

    assert email.status == Email.Status.FAILED
    assert email.attempts == 3
    assert delays[:2] == [1, 2]  # 60 s, then doubled
    assert email_deliver(email.pk) is False  # a failed message is not tried again by itself


def test_the_sweeper_sends_a_row_whose_publish_was_lost(screening, eager_tasks, settings):
    settings.EMAIL_SWEEP_GRACE_SECONDS = 0
    book(screening)  # the test's transaction never commits, so nothing was published

    assert emails_sweep() == 1
    assert Email.objects.get().status == Email.Status.SENT
    assert len(mail.outbox) == 1
    assert emails_sweep() == 0


def test_the_sweeper_leaves_fresh_and_claimed_rows_to_their_workers(screening, eager_tasks, settings):
    settings.EMAIL_SWEEP_GRACE_SECONDS = 60
    book(screening)
    assert emails_sweep() == 0
    Email.objects.update(next_attempt_at=timezone.now() + dt.timedelta(seconds=30))  # being sent right now
    settings.EMAIL_SWEEP_GRACE_SECONDS = 0
    assert emails_sweep() == 0


def test_tickets_emailed_then_released_are_void_and_never_handed_out_again(screening, elf):
    first = book(screening, quantity=4)
    emailed = set(first.tickets.values_list("code", flat=True))
    Reservation.objects.update_booking(first, quantity=0)

    assert Ticket.objects.void().count() == 4
    assert set(Ticket.objects.void().values_list("code", flat=True)) == emailed
    for n in range(4):
        book(screening, quantity=4, email=f"guest{n}@example.com")
    handed_out = set(Ticket.objects.held().values_list("code", flat=True))
    assert handed_out.isdisjoint(emailed)
    assert Ticket.objects.free().count() == 0  # 20 = 16 held + 4 void


def test_tickets_released_before_any_email_return_to_free(screening, elf):
    reservation = ReservationFactory(screening=screening, quantity=2)
    reservation.allocate_tickets()
    Reservation.objects.update_booking(reservation, quantity=0)

    assert Ticket.objects.void().count() == 0
    assert Ticket.objects.free().count() == 20


def test_ticket_states(screening):
    reservation = book(screening, quantity=2)
    held = reservation.tickets.first()
    assert held.state == "held"
    Reservation.objects.update_booking(reservation, quantity=1)
    states = sorted(ticket.state for ticket in Ticket.objects.all())
    assert states.count("held") == 1
    assert states.count("void") == 1
    assert states.count("free") == 18


@pytest.fixture
def tomorrow_morning(elf):
    return ScreeningFactory(film=elf, starts_at=timezone.now() + dt.timedelta(hours=10))


def booked_days_ago() -> None:
    """Every message queued so far went out days ago: the bookings were made before the reminder window."""
    Email.objects.update(created_at=timezone.now() - dt.timedelta(days=5))


def test_a_reminder_goes_once_per_active_reservation_within_the_lead_time(screening, tomorrow_morning, settings):
    settings.EMAIL_REMINDER_HOURS = 24
    soon = book(tomorrow_morning, email="soon@example.com")
    cancelled = book(tomorrow_morning, email="gone@example.com")
    Reservation.objects.update_booking(cancelled, quantity=0)
    book(screening, email="later@example.com")  # three days away
    booked_days_ago()

    assert reminders_queue() == 1
    assert reminders_queue() == 0
    reminder = Email.objects.get(kind=Email.Kind.REMINDER)
    assert (reminder.to, reminder.reservation) == ("soon@example.com", soon)
    assert reminder.payload["codes"] == sorted(soon.tickets.values_list("code", flat=True))


def test_no_reminder_after_tickets_sent_inside_the_reminder_window(screening, tomorrow_morning, settings):
    settings.EMAIL_REMINDER_HOURS = 24
    earlier = book(tomorrow_morning, email="earlier@example.com")
    booked_days_ago()
    same_day = book(tomorrow_morning, email="same.day@example.com")  # 10 hours before the start
    moved_late = book(screening, email="moved@example.com")
    Email.objects.filter(reservation=moved_late).update(created_at=timezone.now() - dt.timedelta(days=5))
    Reservation.objects.update_booking(moved_late, screening=tomorrow_morning)  # its update carries the tickets

    assert reminders_queue() == 1
    assert list(Email.objects.filter(kind=Email.Kind.REMINDER).values_list("reservation", flat=True)) == [earlier.pk]
    # Still none on the next runs: the customers already have their tickets from today.
    assert reminders_queue() == 0
    assert not Email.objects.filter(kind=Email.Kind.REMINDER, reservation__in=[same_day, moved_late]).exists()


def test_a_booking_confirmed_just_before_the_window_still_gets_its_reminder(tomorrow_morning, settings):
    settings.EMAIL_REMINDER_HOURS = 24
    reservation = book(tomorrow_morning)
    window_opened = tomorrow_morning.starts_at - dt.timedelta(hours=24)
    Email.objects.update(created_at=window_opened - dt.timedelta(minutes=1))

    assert reminders_queue() == 1
    assert Email.objects.get(kind=Email.Kind.REMINDER).reservation == reservation


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_at_once_queue_one_reminder_each(tomorrow_morning):
    reservations = [book(tomorrow_morning, email=f"guest{n}@example.com", quantity=1) for n in range(8)]
    booked_days_ago()
    barrier = threading.Barrier(2)
    errors = []

    def beat() -> None:
        try:
            barrier.wait(timeout=10)
            reminders_queue()
        except Exception as error:  # reported below: a thread's exception would vanish
            errors.append(error)
        finally:
            connection.close()

    for _ in range(3):
        threads = [threading.Thread(target=beat) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    reminders = Email.objects.filter(kind=Email.Kind.REMINDER)
    assert sorted(reminders.values_list("reservation_id", flat=True)) == sorted(r.pk for r in reservations)


def test_the_door_list_goes_to_the_cinema_once_at_the_cut_off(elf, settings):
    settings.BOOKING_CUTOFF_MINUTES = 60
    cinema = CinemaFactory(name="Leeds - Kirkstall", contact_email="door@kirkstall.example")
    closing = ScreeningFactory(film=elf, cinema=cinema, starts_at=timezone.now() + dt.timedelta(minutes=45))
    ScreeningFactory(film=elf, cinema=cinema, starts_at=timezone.now() + dt.timedelta(hours=3))  # still open
    ScreeningFactory(
        film=elf, cinema=CinemaFactory(), starts_at=timezone.now() + dt.timedelta(minutes=45)
    )  # no address
    holly = ReservationFactory(screening=closing, quantity=2, name="=Holly")
    holly.allocate_tickets()
    cancelled = ReservationFactory(screening=closing, quantity=0, name="Gone")

    assert door_lists_queue() == 1
    assert door_lists_queue() == 0
    email = Email.objects.get(kind=Email.Kind.DOOR_LIST)
    assert (email.to, email.screening) == ("door@kirkstall.example", closing)
    codes = sorted(holly.tickets.values_list("code", flat=True))
    assert email.payload["rows"] == [{"reference": holly.reference, "name": "=Holly", "seats": 2, "codes": codes}]
    message = sent_message(email)
    assert holly.reference in text_part(message)
    assert cancelled.reference not in text_part(message)
    attachment = next(part for part in message.walk() if part.get_content_type() == "text/csv")
    csv_text = attachment.get_payload(decode=True).decode()
    assert "'=Holly" in csv_text  # a formula in a name is escaped
    assert " ".join(codes) in csv_text


def assert_emailed_codes_stay_with_their_reservation() -> None:
    """Invariant 6: a ticket whose code was emailed is held by that reservation or void."""
    tickets = {t.code: t for t in Ticket.objects.all()}
    for email in Email.objects.filter(kind__in=[Email.Kind.CONFIRMATION, Email.Kind.UPDATE, Email.Kind.REMINDER]):
        for code in email.payload["codes"]:
            ticket = tickets[code]
            assert ticket.issued_at is not None
            assert ticket.reservation_id in {None, email.reservation_id}, f"{code} went to a second reservation"


def race(jobs: list) -> list[Exception]:
    """Run each job on its own thread and database connection, released together; return the errors."""
    barrier = threading.Barrier(len(jobs))
    errors: list[Exception] = []

    def run(job) -> None:
        try:
            barrier.wait(timeout=10)
            job()
        except Exception as error:  # reported to the caller: a thread's exception would vanish
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_racing_bookings_changes_and_cancellations_never_hand_an_emailed_code_to_another_reservation(elf):
    TicketFactory.create_batch(100, film=elf)  # 120 in all; a round holds 20 and voids 7
    screening = ScreeningFactory(film=elf, capacity=80)
    for round_ in range(3):
        seeded = [book(screening, email=f"seed{n}.{round_}@example.com") for n in range(6)]
        update = Reservation.objects.update_booking
        jobs = [
            *(partial(update, reservation, quantity=0) for reservation in seeded[:3]),
            partial(update, seeded[3], quantity=1),
            partial(update, seeded[4], quantity=3),
            partial(update, seeded[5], quantity=4),
            *(partial(book, screening, email=f"new{n}.{round_}@example.com") for n in range(6)),
        ]
        assert race(jobs) == []
        assert_emailed_codes_stay_with_their_reservation()


@pytest.mark.timing
def test_a_publish_to_a_broker_that_is_down_gives_up_within_a_quarter_second(screening):
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    email = book(screening).emails.get()
    with publishing_to(nobody):
        email_publish(email.pk)  # the first publish of a process also loads the broker's client
        waits = []
        for _ in range(3):
            started = time.monotonic()
            email_publish(email.pk)
            waits.append(time.monotonic() - started)
    assert max(waits) < 0.5, waits
    assert Email.objects.get(pk=email.pk).status == Email.Status.QUEUED  # for the sweeper


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_only_outbox_bookkeeping_commits_without_waiting_for_the_disk():
    """The sent mark may be lost in a database crash (the message goes again); nothing else may."""
    from backoffice.campaign.services.emails import _bookkeeping

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    assert setting() == "on"
    with _bookkeeping():
        assert setting() == "off"
    assert setting() == "on"


def test_a_bookings_ticket_codes_are_listed_in_number_order_not_text_order(admin_client):
    film = FilmFactory(name="Wonka")
    screening = ScreeningFactory(film=film, starts_at=timezone.now() + dt.timedelta(days=2), capacity=10)
    for code in ("WONKA-12", "WONKA-16", "WONKA-4", "WONKA-8"):
        TicketFactory(film=film, code=code)
    reservation = book(screening, quantity=4)
    in_order = ["WONKA-4", "WONKA-8", "WONKA-12", "WONKA-16"]

    assert reservation_confirmation_resend(reservation=reservation).payload["codes"] == in_order
    assert door_list_rows(screening=screening)[0]["codes"] == in_order
    door_list = DoorListResource().export(queryset=Reservation.objects.all())
    assert door_list.dict[0]["ticket codes"] == " ".join(in_order)
    [row] = ReservationExportResource().export(queryset=Reservation.objects.all()).dict
    assert row["tickets"] == " ".join(in_order)
    page = admin_client.get(reverse("admin:campaign_reservation_change", args=[reservation.pk])).content.decode()
    assert [page.index(f">{code}<") for code in in_order] == sorted(page.index(f">{code}<") for code in in_order)
