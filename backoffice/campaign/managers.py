"""Managers that guard writes which must respect rows other than their own."""

from typing import TYPE_CHECKING, Any

from django.db import connections, models

from backoffice.campaign.querysets import TicketQuerySet

if TYPE_CHECKING:
    from backoffice.campaign.models import Reservation


class ReservationManager(models.Manager):
    """Reservations are booked and changed only through here (or the service it calls).

    Both entry points run the rules of docs/reservations.md under row locks and raise
    ``django.core.exceptions.ValidationError``, with nothing written, when a request does not fit.
    """

    def create(self, **kwargs: Any) -> "Reservation":
        """Book seats: check quantity, seats left and the access code, save, allocate tickets."""
        # Imported here: the service module imports the models, which import this module.
        from backoffice.campaign.services.reservations import reservation_create

        return reservation_create(reservation=self.model(**kwargs))

    def update_booking(self, reservation: "Reservation", **changes: Any) -> "Reservation":
        """Change a booked reservation, e.g. ``update_booking(r, quantity=0)`` to cancel it."""
        from backoffice.campaign.services.reservations import reservation_update

        for name, value in changes.items():
            setattr(reservation, name, value)
        return reservation_update(reservation=reservation, fields=changes.keys())


class TicketManager(models.Manager.from_queryset(TicketQuerySet)):
    def link_free(self, *, film_id: int, reservation_id: int, count: int) -> int:
        """Link up to ``count`` free tickets of the film to the reservation; return how many.

        SKIP LOCKED: concurrent bookings of the same film each take different free tickets
        instead of queueing behind the first rows, and a ticket another transaction has locked
        is never handed out twice. (SQLite has no row locks; its writers are serialised.)
        One statement written out rather than built by the ORM: it runs on every booking while
        the screening is locked, where query building would cost more than the database's work.
        """
        connection = connections[self.db]
        opts = self.model._meta
        quote = connection.ops.quote_name
        table, pk = quote(opts.db_table), quote(opts.pk.column)
        film, reservation = quote(opts.get_field("film").column), quote(opts.get_field("reservation").column)
        issued = quote(opts.get_field("issued_at").column)
        skip_locked = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
        # "Free" as querysets.TICKET_FREE says it (the partial index ticket_free_by_film holds these rows).
        sql = (
            f"UPDATE {table} SET {reservation} = %s WHERE {pk} IN ("  # noqa: S608 - quoted names from _meta
            f"SELECT {pk} FROM {table} WHERE {film} = %s AND {reservation} IS NULL AND {issued} IS NULL"
            f" ORDER BY {pk} LIMIT %s{skip_locked})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [reservation_id, film_id, count])
            return cursor.rowcount
