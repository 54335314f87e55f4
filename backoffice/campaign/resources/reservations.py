"""Reservations out to a spreadsheet for reporting. Export only: bookings go through the manager."""

from django.db.models import Prefetch
from import_export import resources
from import_export.fields import Field

from backoffice.campaign.models import Reservation, Ticket
from backoffice.campaign.resources.widgets import LondonDateTimeWidget

TICKET_SEPARATOR = " "


class ReservationExportResource(resources.ModelResource):
    """One row per reservation with the customer, the screening and the ticket codes held.

    Holds personal data (names, emails): the admin gates it behind the export permission.
    Reads in a constant number of queries per chunk: screening, film and cinema are joined,
    tickets prefetched.
    """

    reference = Field(attribute="reference", column_name="reference")
    film = Field(attribute="screening__film__name", column_name="film")
    cinema = Field(attribute="screening__cinema__name", column_name="cinema")
    start = Field(attribute="screening__starts_at", column_name="start", widget=LondonDateTimeWidget())
    tickets = Field(column_name="tickets")
    booked_at = Field(attribute="created_at", column_name="booked_at", widget=LondonDateTimeWidget())

    class Meta:
        model = Reservation
        name = "Reservations"
        fields = ["reference", "name", "email", "film", "cinema", "start", "quantity", "tickets", "booked_at"]
        export_order = fields
        chunk_size = 2000

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("screening__film", "screening__cinema").prefetch_related(
            Prefetch("tickets", queryset=Ticket.objects.only("code", "reservation_id").in_code_order())
        )

    def dehydrate_tickets(self, reservation: Reservation) -> str:
        return TICKET_SEPARATOR.join(ticket.code for ticket in reservation.tickets.all())
