"""Reusable queries over films, screenings, reservations and tickets, including where seats
reserved and sold-out status are computed.

A screening's seats reserved are its ``reserved_seats`` column, the sum of its reservations'
quantities kept by database triggers (models.Screening): the annotations chain with any
filter, ordering, ``select_related`` or further annotation, stay one SQL query for any number of
screenings, and cost a list of 50,000 screenings no sum per row.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest, Length
from django.utils import timezone


def booking_cutoff() -> dt.timedelta:
    """How long before its start a screening stops taking bookings (``BOOKING_CUTOFF_MINUTES``)."""
    return dt.timedelta(minutes=settings.BOOKING_CUTOFF_MINUTES)


def seats_reserved(*, filter: Q | None = None) -> Coalesce:
    """The seats a set of reservations holds: the sum of their quantities, 0 when there are none.

    The one definition of "seats reserved": sold-out status, the capacity rule, the booking
    check and the admin all use it. Cancelled reservations hold quantity 0, so they count for
    nothing without a filter.
    """
    return Coalesce(Sum("quantity", filter=filter), 0)


class ReservationQuerySet(models.QuerySet):
    def seats_reserved(self) -> int:
        """Seats these reservations hold, e.g. ``screening.reservations.seats_reserved()``."""
        return self.aggregate(seats=seats_reserved())["seats"]


def upcoming_condition() -> Q:
    """A screening still to start (``ScreeningQuerySet.upcoming``), as a condition to filter or count by."""
    return Q(starts_at__gte=timezone.now())


def bookable_condition() -> Q:
    """A screening still taking bookings (``ScreeningQuerySet.bookable``), as a condition to filter or count by."""
    return Q(starts_at__gt=timezone.now() + booking_cutoff())


def door_list_unaddressed_condition() -> Q:
    """A cinema with screenings to come (cancelled ones aside) and no contact email: their door
    lists go nowhere. The dashboard counts these cinemas; the cinema list filters by it."""
    from backoffice.campaign.models import Screening  # models import this module

    ahead = Screening.objects.upcoming().not_cancelled().filter(cinema=OuterRef("pk"))
    return Q(Exists(ahead), contact_email="")


class ScreeningQuerySet(models.QuerySet):
    def not_cancelled(self) -> "ScreeningQuerySet":
        """Screenings going ahead: the ones whose seats count as offered (dashboard, report)."""
        return self.filter(cancelled_at__isnull=True)

    def upcoming(self) -> "ScreeningQuerySet":
        return self.filter(upcoming_condition())

    def bookable(self) -> "ScreeningQuerySet":
        """Screenings still taking bookings: the cut-off before their start is still ahead.

        The same rule as ``Screening.bookings_closed``, said in SQL.
        """
        return self.filter(bookable_condition())

    def public(self) -> "ScreeningQuerySet":
        """What the public site may list: upcoming screenings of live films, cancelled ones
        included, so that people who saw a time are told it is off rather than left to wonder."""
        return self.upcoming().filter(film__live=True)

    def with_sold_out(self) -> "ScreeningQuerySet":
        """Annotate ``seats_reserved``, ``seats_left`` (never negative) and ``sold_out``.

        Cancelled reservations hold quantity 0, so they count for nothing. A screening is sold
        out when its reserved seats reach its capacity, so a capacity of 0 is sold out. A
        cancelled screening is never sold out: it is off, and says so, which is not the same
        news as "in demand".
        """
        return self.annotate(seats_reserved=F("reserved_seats")).annotate(
            seats_left=Greatest(F("capacity") - F("seats_reserved"), 0, output_field=IntegerField()),
            sold_out=ExpressionWrapper(
                Q(seats_reserved__gte=F("capacity"), cancelled_at__isnull=True), output_field=BooleanField()
            ),
        )

    def sold_out(self) -> "ScreeningQuerySet":
        return self._with_sold_out_once().filter(sold_out=True)

    def available(self) -> "ScreeningQuerySet":
        """Screenings with seats left that are not cancelled (a cancelled one is neither this nor sold out).

        Said as seats left above 0, which is "not sold out" for a screening going ahead, in
        terms of capacity and seats reserved alone: an index that holds them (as
        ``screening_open_by_film`` does) answers it without reading the screenings."""
        return self._with_sold_out_once().not_cancelled().filter(seats_left__gt=0)

    def _with_sold_out_once(self) -> "ScreeningQuerySet":
        return self if "sold_out" in self.query.annotations else self.with_sold_out()


class FilmQuerySet(models.QuerySet):
    def live(self) -> "FilmQuerySet":
        return self.filter(live=True)

    def with_sold_out(self) -> "FilmQuerySet":
        """Annotate ``screenings_total`` and ``screenings_sold_out`` (upcoming screenings that
        are not cancelled), ``sold_out``: every one of them is sold out, and ``run_ended``: it had
        screenings and none is still to come (cancelled ones are not to come).

        A film with no upcoming screenings is *not* sold out: there is nothing left to book, but
        nothing was booked out either, and ``screenings_total == 0`` already says so. Calling it
        sold out would tell the public a film is in demand when it simply has no dates yet.
        """
        from backoffice.campaign.models import Screening  # models import this module

        upcoming = Screening.objects.upcoming().not_cancelled().filter(film=OuterRef("pk")).order_by()
        scheduled = Screening.objects.filter(film=OuterRef("pk")).order_by()
        return self.annotate(
            screenings_total=_count(upcoming),
            screenings_sold_out=_count(upcoming.sold_out()),
            # Said as "has upcoming screenings and none of them is available" rather than by
            # comparing the two counts: EXISTS stops at the first screening with seats left.
            sold_out=ExpressionWrapper(
                Q(Exists(upcoming)) & ~Q(Exists(upcoming.available())), output_field=BooleanField()
            ),
            # Screened, and nothing left to come: the site says the run is over, not "coming soon".
            run_ended=ExpressionWrapper(Q(Exists(scheduled)) & ~Q(Exists(upcoming)), output_field=BooleanField()),
        )


def _count(screenings: ScreeningQuerySet) -> Coalesce:
    """Number of rows of a subquery correlated on the film (0 when there are none).

    COUNT(*), not of the primary key, which ``screening_open_by_film`` does not hold: counted
    from that index alone instead of each of the film's screening rows."""
    counted = screenings.values("film").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# A ticket is free when no reservation holds it and its code never went out in an email: a
# released ticket whose code a customer has seen is void, and is never allocated again.
TICKET_FREE = Q(reservation__isnull=True, issued_at__isnull=True)
TICKET_HELD = Q(reservation__isnull=False)
TICKET_VOID = Q(reservation__isnull=True, issued_at__isnull=False)


class TicketQuerySet(models.QuerySet):
    def free(self) -> "TicketQuerySet":
        """Tickets allocation may hand out: the one definition of "free" (TICKET_FREE, also the
        condition of the partial index ``ticket_free_by_film`` allocation reads)."""
        return self.filter(TICKET_FREE)

    def held(self) -> "TicketQuerySet":
        return self.filter(TICKET_HELD)

    def void(self) -> "TicketQuerySet":
        return self.filter(TICKET_VOID)

    def in_code_order(self) -> "TicketQuerySet":
        """Shorter codes first, then by text: a chain's numbered codes read "4 8 12 16", not
        "12 16 4 8" as text sorts them. For a reservation's few tickets (emails, door lists,
        exports, its admin page); the tickets list keeps the code index's order."""
        return self.order_by(Length("code"), "code")
