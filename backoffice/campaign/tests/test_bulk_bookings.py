"""Bookings changed in bulk: cancel a selection, move a selection, cancel a screening (services/reservations.py)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from backoffice.campaign.email_messages import email_message
from backoffice.campaign.factories import AccessCodeFactory, CinemaFactory, FilmFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import Email, Reservation, Screening, Ticket
from backoffice.campaign.services.campaign_report import campaign_report_compute
from backoffice.campaign.services.dashboard import dashboard_compute
from backoffice.campaign.services.emails import door_lists_queue, reminders_queue
from backoffice.campaign.services.personal_data import ERASED_DOMAIN
from backoffice.campaign.services.reservations import (
    BookingsDoNotFit,
    BulkOutcome,
    bookings_in_words,
    reservations_cancel,
    reservations_move,
    screening_cancel,
)
from backoffice.campaign.tests.booking_support import assert_invariants, booked, screening_of, state
from backoffice.campaign.tests.test_personal_data import columns_containing

pytestmark = pytest.mark.django_db

STOCK = 200  # tickets per film


@pytest.fixture
def elf():
    film = FilmFactory(name="Elf")
    TicketFactory.create_batch(STOCK, film=film)
    return film


@pytest.fixture
def wonka():
    film = FilmFactory(name="Wonka")
    TicketFactory.create_batch(STOCK, film=film)
    return film


@pytest.fixture
def york():
    return CinemaFactory(name="York - Vangarde")


def emails(kind: str) -> list[Email]:
    return list(Email.objects.filter(kind=kind).order_by("pk"))


def issued_codes_still_safe() -> bool:
    """Invariant 6: a code that went out in an email is held by that booking or void, never by another."""
    sent = {}
    for email in Email.objects.exclude(reservation=None):
        for code in email.payload.get("codes", []):
            sent.setdefault(code, email.reservation_id)
    held = dict(Ticket.objects.filter(code__in=sent).values_list("code", "reservation_id"))
    return (
        all(held[code] in (None, owner) for code, owner in sent.items())
        and not Ticket.objects.filter(code__in=sent, issued_at=None).exists()
    )


def test_counts_are_said_in_words():
    assert bookings_in_words(bookings=3, seats=7, customers=3) == "3 bookings, 7 seats, 3 customers"
    assert bookings_in_words(bookings=1, seats=1, customers=1) == "1 booking, 1 seat, 1 customer"


# --- cancel a selection -----------------------------------------------------------------------


def test_cancelling_a_selection_gives_everything_back_and_sends_one_cancellation_each(elf, york):
    screening = screening_of(elf, york)
    kept = booked(screening)
    chosen = [booked(screening, 1), booked(screening, 3), booked(screening, 2)]
    chosen[0].access_code.max_usages = 1
    confirmations = len(emails(Email.Kind.CONFIRMATION))

    done = reservations_cancel(reservations=Reservation.objects.filter(pk__in=[r.pk for r in chosen]), by=None)

    assert done == BulkOutcome(bookings=3, seats=6, customers=3)
    assert set(Reservation.objects.filter(quantity=0).values_list("pk", flat=True)) == {r.pk for r in chosen}
    assert not Ticket.objects.filter(reservation__in=chosen).exists()
    assert screening.reservations.seats_reserved() == kept.quantity
    cancellations = emails(Email.Kind.CANCELLATION)
    assert sorted((e.reservation_id, e.to, e.payload["seats"]) for e in cancellations) == sorted(
        (r.pk, r.email, r.quantity) for r in chosen
    )
    assert len(emails(Email.Kind.CONFIRMATION)) == confirmations
    assert_invariants(Ticket.objects.count())
    assert issued_codes_still_safe()
    # The code's use is given back: the same code books again.
    booked(screening, access_code=chosen[0].access_code)


def test_cancelling_again_skips_what_is_already_cancelled_and_sends_nothing(elf, york):
    reservation = booked(screening_of(elf, york))
    reservations_cancel(reservations=Reservation.objects.filter(pk=reservation.pk), by=None)

    again = reservations_cancel(reservations=Reservation.objects.filter(pk=reservation.pk), by=None)

    assert again == BulkOutcome(bookings=0, seats=0, customers=0)
    assert len(emails(Email.Kind.CANCELLATION)) == 1


def test_a_cancellation_by_staff_is_in_the_booking_history_under_their_name(elf, york, admin_user):
    reservation = booked(screening_of(elf, york))
    reservations_cancel(reservations=Reservation.objects.filter(pk=reservation.pk), by=admin_user)
    latest = reservation.history.order_by("-history_id").first()
    assert (latest.quantity, latest.history_user) == (0, admin_user)


# --- move a selection -------------------------------------------------------------------------


def test_moving_to_the_same_film_keeps_the_tickets_and_sends_one_update_each(elf, york):
    source, target = screening_of(elf, york, day=12), screening_of(elf, york, day=13)
    chosen = [booked(source, 2), booked(source, 1)]
    tickets_before = {r.pk: set(r.tickets.values_list("code", flat=True)) for r in chosen}

    done = reservations_move(reservations=Reservation.objects.filter(screening=source), screening=target, by=None)

    assert done == BulkOutcome(bookings=2, seats=3, customers=2)
    assert set(Reservation.objects.filter(screening=target).values_list("pk", flat=True)) == {r.pk for r in chosen}
    assert {r.pk: set(r.tickets.values_list("code", flat=True)) for r in chosen} == tickets_before
    updates = emails(Email.Kind.UPDATE)
    assert sorted(e.reservation_id for e in updates) == sorted(r.pk for r in chosen)
    assert all(sorted(e.payload["codes"]) == sorted(tickets_before[e.reservation_id]) for e in updates)
    assert all(e.payload["starts_at"] == target.starts_at.isoformat() for e in updates)
    assert_invariants(Ticket.objects.count())


def test_moving_to_another_film_swaps_the_tickets_and_voids_the_emailed_ones(elf, wonka, york):
    source, target = screening_of(elf, york), screening_of(wonka, york)
    reservation = booked(source, 3)
    emailed = set(reservation.tickets.values_list("code", flat=True))

    reservations_move(reservations=Reservation.objects.filter(pk=reservation.pk), screening=target, by=None)

    now_held = set(reservation.tickets.values_list("code", flat=True))
    assert len(now_held) == 3
    assert not now_held & emailed
    assert set(Ticket.objects.filter(code__in=emailed, reservation=None).values_list("code", flat=True)) == emailed
    assert not Ticket.objects.free().filter(code__in=emailed).exists(), "an emailed code went back to free"
    (update,) = emails(Email.Kind.UPDATE)
    assert set(update.payload["codes"]) == now_held
    assert_invariants(Ticket.objects.count())
    assert issued_codes_still_safe()


def test_a_move_that_does_not_fit_changes_nothing_and_says_which_bookings_and_why(elf, wonka, york):
    source, target = screening_of(elf, york), screening_of(elf, york, day=13, capacity=5)
    booked(target, 2)
    fits = booked(source, 2)
    too_many = booked(source, 2)
    elf_only = AccessCodeFactory(valid_for=elf)
    wrong_film_target = screening_of(wonka, york, day=14)
    coded = booked(source, 1, access_code=elf_only)
    before, outbox = state(), Email.objects.count()

    with pytest.raises(BookingsDoNotFit) as refusal:
        reservations_move(reservations=Reservation.objects.filter(screening=source), screening=target, by=None)

    assert state() == before
    assert Email.objects.count() == outbox
    assert refusal.value.message_dict[NON_FIELD_ERRORS] == [
        f"1 booking of 3 would not fit on {target}; nothing was moved or cancelled."
    ]
    assert refusal.value.refusals == [
        f"{too_many.reference} (2 seats): Only 1 seat left for {target}; you asked for 2."
    ]
    assert fits.pk  # it fitted, and is not listed

    with pytest.raises(BookingsDoNotFit) as refusal:
        reservations_move(reservations=Reservation.objects.filter(pk=coded.pk), screening=wrong_film_target, by=None)
    assert refusal.value.refusals == [f"{coded.reference} (1 seat): Access code {elf_only} is for Elf only, not Wonka."]
    assert state() == before
    assert_invariants(Ticket.objects.count())


def test_a_move_that_would_run_out_of_tickets_changes_nothing(elf, york):
    scarce = FilmFactory(name="Scarce")
    TicketFactory.create_batch(3, film=scarce)
    source, target = screening_of(elf, york), screening_of(scarce, york)
    first, second = booked(source, 2), booked(source, 2)
    before = state()

    with pytest.raises(BookingsDoNotFit) as refusal:
        reservations_move(reservations=Reservation.objects.filter(screening=source), screening=target, by=None)

    assert state() == before
    assert [line.split(" ")[0] for line in refusal.value.refusals] == [second.reference]
    assert "Not enough tickets left for Scarce: 1 free." in refusal.value.refusals[0]
    assert first.pk


def test_no_move_to_a_cancelled_screening_or_one_past_its_cut_off(elf, york):
    source = screening_of(elf, york)
    reservation = booked(source)
    closing = ScreeningFactory(film=elf, cinema=york, starts_at=timezone.now() + dt.timedelta(minutes=30))
    cancelled = screening_of(elf, york, day=15)
    screening_cancel(screening=cancelled, by=None, reason="Snow.")
    before = state()

    for target, words in ((closing, "closed at"), (cancelled, "is cancelled (Snow.)")):
        with pytest.raises(ValidationError) as refusal:
            reservations_move(reservations=Reservation.objects.filter(pk=reservation.pk), screening=target, by=None)
        assert words in refusal.value.message_dict["screening"][0]
        assert state() == before


def test_a_cancelled_screening_takes_no_new_booking(elf, york):
    screening = screening_of(elf, york)
    screening_cancel(screening=screening, by=None, reason="The projector has broken down.")
    with pytest.raises(ValidationError) as refusal:
        booked(Screening.objects.get(pk=screening.pk))
    assert refusal.value.message_dict["screening"] == [
        f"{screening} is cancelled (The projector has broken down.). Choose another screening."
    ]


# --- cancel a screening -----------------------------------------------------------------------


@pytest.fixture
def fifty(elf, york) -> Screening:
    """A screening with 50 bookings of 1 to 4 seats (123 seats), each booked through the rules."""
    screening = screening_of(elf, york, capacity=125)
    for n in range(50):
        booked(screening, n % 4 + 1)
    return screening


def test_cancelling_a_screening_moves_all_50_bookings_with_one_email_each(fifty, wonka, york, admin_user):
    target = screening_of(wonka, york, day=13, capacity=130)
    booked = dict(fifty.reservations.values_list("pk", "quantity"))

    done = screening_cancel(screening=fifty, by=admin_user, reason="Snow has closed the road.", move_to=target)

    assert done == BulkOutcome(bookings=50, seats=123, customers=50)
    assert dict(target.reservations.values_list("pk", "quantity")) == booked
    assert not fifty.reservations.exists()
    notices = emails(Email.Kind.SCREENING_CANCELLED)
    assert sorted(e.reservation_id for e in notices) == sorted(booked)
    assert not emails(Email.Kind.UPDATE)
    assert not emails(Email.Kind.CANCELLATION)
    held = {r.pk: sorted(r.tickets.values_list("code", flat=True)) for r in target.reservations.all()}
    for notice in notices:
        assert notice.payload["moved"] is True
        assert notice.payload["reason"] == "Snow has closed the road."
        assert notice.payload["film"] == "Wonka"
        assert notice.payload["cancelled_screening"]["film"] == "Elf"
        assert sorted(notice.payload["codes"]) == held[notice.reservation_id]
    fifty.refresh_from_db()
    assert fifty.is_cancelled
    assert fifty.cancelled_by == admin_user
    assert fifty.cancellation_reason == "Snow has closed the road."
    latest = fifty.history.order_by("-history_id").first()
    assert latest.history_user == admin_user
    assert latest.history_change_reason == "Cancelled: Snow has closed the road."
    assert_invariants(Ticket.objects.count())
    assert issued_codes_still_safe()


def test_cancelling_a_screening_cancels_all_50_bookings_with_one_email_each(fifty):
    booked = set(fifty.reservations.values_list("pk", flat=True))

    done = screening_cancel(screening=fifty, by=None, reason="The projector has broken down.")

    assert done == BulkOutcome(bookings=50, seats=123, customers=50)
    assert set(fifty.reservations.filter(quantity=0).values_list("pk", flat=True)) == booked
    assert not Ticket.objects.filter(reservation__in=booked).exists()
    notices = emails(Email.Kind.SCREENING_CANCELLED)
    assert sorted(e.reservation_id for e in notices) == sorted(booked)
    assert all(e.payload["moved"] is False and e.payload["codes"] == [] for e in notices)
    assert not emails(Email.Kind.CANCELLATION)
    assert_invariants(Ticket.objects.count())
    assert issued_codes_still_safe()


def test_a_screening_whose_bookings_do_not_all_fit_elsewhere_is_not_cancelled(fifty, elf, york):
    target = screening_of(elf, york, day=13, capacity=100)
    before, outbox = state(), Email.objects.count()

    with pytest.raises(BookingsDoNotFit) as refusal:
        screening_cancel(screening=fifty, by=None, reason="Snow.", move_to=target)

    assert state() == before
    assert Email.objects.count() == outbox
    fifty.refresh_from_db()
    assert not fifty.is_cancelled
    # 123 seats for 100: the bookings after the first 100 seats are listed, each with its reason.
    assert len(refusal.value.refusals) == 10
    assert all("left for" in line for line in refusal.value.refusals)


@pytest.mark.parametrize(
    ("reason", "same_target", "field", "message"),
    [
        ("  ", False, "reason", "Say why the screening is cancelled: customers are told."),
        ("Snow.", True, "move_to", "Choose another screening to move the bookings to, not this one."),
    ],
)
def test_a_screening_cancellation_needs_a_reason_and_another_screening(elf, york, reason, same_target, field, message):
    screening = screening_of(elf, york)
    booked(screening)
    with pytest.raises(ValidationError) as refusal:
        screening_cancel(screening=screening, by=None, reason=reason, move_to=screening if same_target else None)
    assert refusal.value.message_dict == {field: [message]}
    assert not Screening.objects.get(pk=screening.pk).is_cancelled


def test_a_screening_is_cancelled_once(elf, york):
    screening = screening_of(elf, york)
    screening_cancel(screening=screening, by=None, reason="Snow.")
    with pytest.raises(ValidationError) as refusal:
        screening_cancel(screening=screening, by=None, reason="Snow again.")
    assert "was already cancelled" in refusal.value.messages[0]
    assert Screening.objects.get(pk=screening.pk).cancellation_reason == "Snow."


def test_a_screening_that_has_started_may_still_be_cancelled(elf, york):
    started = ScreeningFactory(film=elf, cinema=york, starts_at=timezone.now() - dt.timedelta(minutes=10))
    reservation = booked(screening_of(elf, york))
    Reservation.objects.filter(pk=reservation.pk).update(screening=started)
    screening_cancel(screening=started, by=None, reason="The projector broke during the film.")
    assert Reservation.objects.get(pk=reservation.pk).quantity == 0
    assert len(emails(Email.Kind.SCREENING_CANCELLED)) == 1


# --- what a cancelled screening leaves out ---------------------------------------------------


def test_a_cancelled_screening_gets_no_reminder_and_no_door_list(elf, settings):
    cinema = CinemaFactory(name="York - Vangarde", contact_email="door@example.com")
    soon = ScreeningFactory(film=elf, cinema=cinema, starts_at=timezone.now() + dt.timedelta(hours=2))
    booked(soon)
    screening_cancel(screening=soon, by=None, reason="Snow.")
    # Revive its bookings by hand, as a worst case: even then nothing goes for a cancelled screening.
    Reservation.objects.filter(screening=soon).update(quantity=1)
    settings.EMAIL_REMINDER_HOURS = 24
    settings.BOOKING_CUTOFF_MINUTES = 180
    assert reminders_queue() == 0
    assert door_lists_queue() == 0


def test_a_cancelled_screening_offers_no_seats_on_the_dashboard_or_the_report(elf, york):
    going, off = screening_of(elf, york, capacity=50), screening_of(elf, york, day=13, capacity=30)
    booked(off)
    screening_cancel(screening=off, by=None, reason="Snow.")

    (campaign, *_) = campaign_report_compute().rows
    assert campaign.seats_offered == going.capacity
    seats = next(figure for figure in dashboard_compute().figures if figure.key == "seats")
    assert seats.detail == f"of {going.capacity:,} seats offered, in 0 bookings"


def test_erase_customer_still_finds_a_customer_whose_booking_was_moved_or_cancelled(elf, york):
    source, target = screening_of(elf, york), screening_of(elf, york, day=13)
    moved, cancelled = booked(source, name="Ebenezer Scrooge", email="moved@example.com"), booked(source)
    reservations_move(reservations=Reservation.objects.filter(pk=moved.pk), screening=target, by=None)
    reservations_cancel(reservations=Reservation.objects.filter(pk=cancelled.pk), by=None)
    screening_cancel(screening=target, by=None, reason="Snow.")

    for person in ("moved@example.com", cancelled.email):
        call_command("erase_customer", person, stdout=StringIO())
        # Nowhere: not the booking, its history, the outbox rows nor their payloads.
        assert columns_containing(person) == []
    assert columns_containing("Ebenezer Scrooge") == []
    assert Reservation.objects.filter(email__endswith=f"@{ERASED_DOMAIN}").count() == 2


# --- the new email -----------------------------------------------------------------------------


def test_the_screening_cancelled_email_names_the_cancelled_screening_and_the_new_one(fifty, wonka, york):
    target = screening_of(wonka, york, day=13, capacity=130)
    screening_cancel(screening=fifty, by=None, reason="Snow has closed the road.", move_to=target)
    notice = Email.objects.filter(kind=Email.Kind.SCREENING_CANCELLED).first()

    message = email_message(notice).message()

    assert message["Subject"] == "Screening cancelled: Elf, Sat 12 Dec 18:30"
    assert message["Message-ID"] == notice.message_id
    text = message.get_payload()[0].get_payload()[0].get_payload(decode=True).decode()
    assert "the screening of Elf at York - Vangarde on Saturday 12 December 2026 at 18:30 is cancelled" in text
    assert "Snow has closed the road." in text
    assert "We have moved your booking" in text
    assert "Film:      Wonka" in text
    calendar = message.get_payload()[-1]
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "PUBLISH"
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == notice.payload["seats"]


def test_the_screening_cancelled_email_without_a_move_cancels_the_calendar_entry(elf, york):
    screening = screening_of(elf, york)
    booked(screening)
    screening_cancel(screening=screening, by=None, reason="Snow.")
    notice = Email.objects.get(kind=Email.Kind.SCREENING_CANCELLED)

    message = email_message(notice).message()

    text = message.get_payload()[0].get_payload()[0].get_payload(decode=True).decode()
    assert "Your booking is cancelled" in text
    assert "access code is free again" in text
    assert message.get_payload()[-1].get_param("method") == "CANCEL"
    assert not [part for part in message.walk() if part.get_content_type() == "image/png"]


def test_tickets_held_equal_seats_after_every_bulk_change(fifty, elf, york):
    target = screening_of(elf, york, day=13, capacity=200)
    reservations_move(reservations=Reservation.objects.filter(quantity__gte=3), screening=target, by=None)
    reservations_cancel(reservations=Reservation.objects.filter(quantity=1), by=None)
    screening_cancel(screening=fifty, by=None, reason="Snow.", move_to=target)
    assert not Reservation.objects.exclude(quantity=0).exclude(screening=target).exists()
    assert target.reservations.seats_reserved() == Ticket.objects.filter(reservation__screening=target).count()
    assert not Ticket.objects.filter(reservation__isnull=False).exclude(film=F("reservation__screening__film")).exists()
    assert_invariants(Ticket.objects.count())
