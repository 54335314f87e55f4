"""Whether each film has the tickets for the seats it still offers: the one rule behind the
dashboard's ticket stock and the films list's "Stock" column.

A film is short when its free tickets are fewer than its seats still offered: the seats left on
its screenings still taking bookings, cancelled ones aside. Bookings for it will then be refused
("not enough tickets") while the screenings still show seats.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Sum

from backoffice.campaign.models import Screening, Ticket
from backoffice.campaign.querysets import TICKET_HELD, TICKET_VOID


@dataclass(frozen=True)
class TicketStock:
    tickets_free: int = 0
    seats_offered: int = 0  # seats left on the film's screenings still taking bookings

    @property
    def short(self) -> bool:
        return self.tickets_free < self.seats_offered


def film_ticket_stock(*, films: Iterable[int] | None = None) -> dict[int, TicketStock]:
    """Each film's free tickets and seats still offered, for the films given (primary keys) or
    every film, in two grouped queries: tickets per film, and seats left per film. A film with
    neither free tickets nor seats offered is left out (its stock is ``TicketStock()``)."""
    tickets = Ticket.objects.free()
    screenings = Screening.objects.not_cancelled().bookable().with_sold_out()
    if films is not None:
        films = list(films)
        tickets, screenings = tickets.filter(film__in=films), screenings.filter(film__in=films)
    free = dict(tickets.values("film").annotate(n=Count("pk")).order_by().values_list("film", "n"))
    offered = dict(screenings.values("film").annotate(seats=Sum("seats_left")).order_by().values_list("film", "seats"))
    return {
        film: TicketStock(tickets_free=free.get(film, 0), seats_offered=offered.get(film, 0))
        for film in free.keys() | offered.keys()
    }


def film_tickets_held_and_void(*, films: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Each film's held and void tickets (primary keys given): two grouped counts, each read from
    a partial index of its own (``ticket_held_by_film``, ``ticket_void_by_film``) without the
    tickets. A count per film and per state, as a subquery per film, read the film's tickets
    again for each: 80 bitmap scans over millions of tickets at ten times the campaign."""
    films = list(films)

    def per_film(state) -> dict[int, int]:
        counted = Ticket.objects.filter(state, film__in=films).values("film").annotate(n=Count("pk")).order_by()
        return dict(counted.values_list("film", "n"))

    held, void = per_film(TICKET_HELD), per_film(TICKET_VOID)
    return {film: (held.get(film, 0), void.get(film, 0)) for film in held.keys() | void.keys()}
