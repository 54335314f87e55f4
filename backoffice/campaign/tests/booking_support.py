"""Test helpers for booking rules: a refused request must leave the database as it was, and the invariants hold."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from backoffice.campaign.factories import AccessCodeFactory, ScreeningFactory
from backoffice.campaign.models import LONDON, AccessCode, Reservation, Screening, Ticket

_CUSTOMERS = itertools.count()


def screening_of(film, cinema, *, day: int = 12, capacity: int = 100) -> Screening:
    """A screening at 18:30 London time on ``day`` December 2026."""
    return ScreeningFactory(
        film=film, cinema=cinema, starts_at=dt.datetime(2026, 12, day, 18, 30, tzinfo=LONDON), capacity=capacity
    )


def booked(screening: Screening, quantity: int = 2, **kwargs) -> Reservation:
    """A booking made through the rules (tickets, emails), each by a customer of their own."""
    fields = {
        "screening": screening,
        "access_code": AccessCodeFactory(),
        "quantity": quantity,
        "name": "Mary Holly",
        "email": f"customer.{next(_CUSTOMERS)}@example.com",
    }
    return Reservation.objects.create(**{**fields, **kwargs})


def state() -> tuple[list, list]:
    """Every reservation and every ticket link, to show a refused request changed nothing."""
    reservations = list(
        Reservation.objects.order_by("pk").values_list(
            "pk", "screening_id", "access_code_id", "quantity", "name", "email"
        )
    )
    tickets = list(Ticket.objects.order_by("pk").values_list("pk", "reservation_id"))
    return reservations, tickets


def refused(call, *args, **kwargs) -> dict[str, list[str]]:
    """The ValidationError's messages of ``call``, which must have written nothing."""
    before = state()
    with pytest.raises(ValidationError) as error:
        call(*args, **kwargs)
    assert state() == before, "a refused request changed the database"
    return error.value.message_dict


def assert_invariants(ticket_stock: int) -> None:
    """Invariants 1-5 of the domain, over the whole database."""
    reserved = Screening.objects.annotate(seats=Coalesce(Sum("reservations__quantity"), 0))
    assert not reserved.filter(seats__gt=F("capacity")).exists(), "a screening is oversold"
    uses = AccessCode.objects.annotate(uses=Count("reservations", filter=Q(reservations__quantity__gt=0)))
    assert not uses.filter(uses__gt=F("max_usages")).exists(), "an access code is used too often"
    holding = Reservation.objects.annotate(held=Count("tickets"))
    assert not holding.exclude(held=F("quantity")).exists(), "a reservation holds the wrong number of tickets"
    assert (
        not Ticket.objects.filter(reservation__isnull=False).exclude(film=F("reservation__screening__film")).exists()
    ), "a ticket is of another film than its reservation's screening"
    # A ticket has one reservation column, so it cannot be held twice; none may be lost either.
    assert Ticket.objects.count() == ticket_stock
    seats = Reservation.objects.aggregate(seats=Coalesce(Sum("quantity"), 0))["seats"]
    assert Ticket.objects.filter(reservation__isnull=False).count() == seats
    active = Reservation.objects.filter(quantity__gt=0).values_list("email", flat=True)
    emails = [email.lower() for email in active]
    assert len(emails) == len(set(emails)), "an email holds two active reservations"
