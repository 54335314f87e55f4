"""Managers that guard writes which must respect rows other than their own."""

from typing import TYPE_CHECKING, Any

from django.db import models

from backoffice.campaign.querysets import ReservationQuerySet

if TYPE_CHECKING:
    from backoffice.campaign.models import Reservation


class ReservationManager(models.Manager.from_queryset(ReservationQuerySet)):
    """Reservations are booked and changed only through here (or the admin, which does the same).

    Both entry points run the rules of docs/reservations.md under row locks and raise
    ``django.core.exceptions.ValidationError``, with nothing written, when a request does not fit.
    """

    def create(self, **kwargs: Any) -> "Reservation":
        """Book seats: check quantity, seats left, the access code and the email, save, allocate tickets."""
        # Imported here: the service module imports the models, which import this module.
        from backoffice.campaign.services.reservations import reservation_booking, reservation_create

        reservation = self.model(**kwargs)
        with reservation_booking(reservation):
            reservation_create(reservation=reservation)
            reservation.allocate_tickets(held=())  # a row saved a moment ago holds no tickets
        return reservation

    def update_booking(self, reservation: "Reservation", **changes: Any) -> "Reservation":
        """Change a booked reservation, e.g. ``update_booking(r, quantity=0)`` to cancel it."""
        from backoffice.campaign.services.reservations import reservation_booking, reservation_update

        for name, value in changes.items():
            setattr(reservation, name, value)
        with reservation_booking(reservation) as booking:
            booking.before = reservation_update(reservation=reservation, fields=changes.keys())
            reservation.allocate_tickets()
        return reservation
