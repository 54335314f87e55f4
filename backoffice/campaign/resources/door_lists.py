"""A screening's door list out to a spreadsheet: who is coming, with which ticket codes. Export only."""

from django.db.models import Prefetch
from import_export import resources
from import_export.fields import Field

from backoffice.campaign.models import Reservation, Ticket
from backoffice.campaign.resources.widgets import LondonDateTimeWidget

COLUMNS = ["reference", "name", "seats", "ticket codes"]


class DoorListResource(resources.ModelResource):
    """One row per active reservation of the screenings exported, in screening then name order."""

    screening = Field(attribute="screening__slug", column_name="screening")
    start = Field(attribute="screening__starts_at", column_name="start", widget=LondonDateTimeWidget())
    reference = Field(attribute="reference", column_name="reference")
    name = Field(attribute="name", column_name="name")
    seats = Field(attribute="quantity", column_name="seats")
    codes = Field(column_name="ticket codes")

    class Meta:
        model = Reservation
        name = "Door list"
        fields = ["screening", "start", "reference", "name", "seats", "codes"]
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return (
            queryset.filter(quantity__gt=0)
            .select_related("screening")
            .order_by("screening__starts_at", "screening_id", "name", "reference")
            .prefetch_related(
                Prefetch("tickets", queryset=Ticket.objects.only("code", "reservation_id").in_code_order())
            )
        )

    def dehydrate_codes(self, reservation: Reservation) -> str:
        return " ".join(ticket.code for ticket in reservation.tickets.all())
