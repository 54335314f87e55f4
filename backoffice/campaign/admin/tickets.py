from django.contrib import admin

from backoffice.campaign.admin.data_exchange import SpreadsheetImportExportMixin
from backoffice.campaign.models import Ticket
from backoffice.campaign.resources.tickets import TicketResource


@admin.register(Ticket)
class TicketAdmin(SpreadsheetImportExportMixin, admin.ModelAdmin):
    resource_classes = [TicketResource]
    # One history entry per ticket would be 20,000 rows a file; DataExchangeLog records the import.
    skip_admin_log = True
    list_display = ["code", "film", "reservation"]
    list_filter = ["film", ("reservation", admin.EmptyFieldListFilter)]
    list_select_related = ["film", "reservation"]
    search_fields = ["=code", "=reservation__reservation_id"]
    autocomplete_fields = ["film"]

    def get_readonly_fields(self, request, obj=None):
        # Tickets are linked and unlinked only by Reservation.allocate_tickets(); a hand-made link
        # (or a film change under a held ticket) would break "tickets held == quantity".
        if obj is not None and obj.reservation_id:
            return ["reservation", "film"]
        return ["reservation"]
