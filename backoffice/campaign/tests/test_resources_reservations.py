"""Reservations out for reporting: the customer, the screening, the tickets, in bounded queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.campaign.factories import (
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import LONDON, Reservation
from backoffice.campaign.resources.formats import CSV
from backoffice.campaign.resources.reservations import ReservationExportResource

pytestmark = pytest.mark.django_db


def test_a_row_holds_reference_customer_screening_and_ticket_codes():
    screening = ScreeningFactory(
        film=FilmFactory(name="Elf"),
        cinema=CinemaFactory(name="York - Vangarde"),
        starts_at=dt.datetime(2026, 12, 19, 18, 30, tzinfo=LONDON),
    )
    reservation = ReservationFactory(screening=screening, name="Ann Holly", email="ann@example.org", quantity=2)
    for code in ("T-2", "T-1"):
        TicketFactory(code=code, film=screening.film, reservation=reservation)
    ReservationFactory(screening=screening, quantity=0)  # cancelled: still reported, with no tickets

    data = ReservationExportResource().export()
    assert data.headers == ["reference", "name", "email", "film", "cinema", "start", "quantity", "tickets", "booked_at"]
    rows = {row["reference"]: row for row in data.dict}
    row = rows[reservation.reference]
    assert {k: v for k, v in row.items() if k != "booked_at"} == {
        "reference": reservation.reference,
        "name": "Ann Holly",
        "email": "ann@example.org",
        "film": "Elf",
        "cinema": "York - Vangarde",
        "start": "2026-12-19 18:30",
        "quantity": "2",
        "tickets": "T-1 T-2",
    }
    assert row["booked_at"] == reservation.created_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
    assert len(rows) == 2


def test_export_reads_in_the_same_queries_for_5_or_60_reservations():
    def queries_for(count: int) -> int:
        Reservation.objects.all().delete()
        for _ in range(count):
            reservation = ReservationFactory(quantity=1)
            TicketFactory(film=reservation.screening.film, reservation=reservation)
        with CaptureQueriesContext(connection) as captured:
            data = ReservationExportResource().export()
        assert len(data) == count
        assert all(row["tickets"] for row in data.dict)
        return len(captured)

    assert queries_for(60) == queries_for(5)


def test_customer_text_that_looks_like_a_formula_is_escaped(settings):
    settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
    ReservationFactory(name='=HYPERLINK("http://evil.example","Refund")', email="x@example.org")
    text = CSV().export_data(ReservationExportResource().export())
    assert "'=HYPERLINK(" in text
    assert ",=HYPERLINK(" not in text
