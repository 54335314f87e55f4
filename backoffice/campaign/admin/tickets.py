from django.contrib import admin
from django.db.models import Q

from backoffice.campaign.admin.data_exchange import LargeTableExportMixin, SpreadsheetImportExportMixin
from backoffice.campaign.admin.lists import CappedCountPaginator, FixedChoicesFilter, LargeTableChangeList
from backoffice.campaign.codes import REFERENCE_RE
from backoffice.campaign.models import Reservation, Ticket
from backoffice.campaign.querysets import TICKET_FREE, TICKET_HELD, TICKET_VOID
from backoffice.campaign.resources.tickets import TicketResource
from backoffice.second_factor import holds_secrets


class TicketStateFilter(FixedChoicesFilter):
    """Free, held or void (TICKET_FREE): "no reservation" alone would count void tickets as free."""

    title = "state"
    parameter_name = "state"
    options = {
        "free": ("Free (can be allocated)", TICKET_FREE),
        "held": ("Held by a reservation", TICKET_HELD),
        "void": ("Void (code sent, then released)", TICKET_VOID),
    }


@admin.register(Ticket)
class TicketAdmin(LargeTableExportMixin, SpreadsheetImportExportMixin, admin.ModelAdmin):
    resource_classes = [TicketResource]
    # One history entry per ticket would be 20,000 rows a file; DataExchangeLog records the import.
    skip_admin_log = True
    list_display = ["code", "film", "reservation"]
    list_filter = ["film", TicketStateFilter]
    # Read for the page's rows only: joined, they would be read for every row a deep page skips.
    list_select_related = []
    list_prefetch_related = ["film", "reservation"]
    show_full_result_count = False  # a second count of every ticket on each view
    paginator = CappedCountPaginator  # millions of tickets: counted to 10,000, then searched or filtered
    # Counts per film and held or not would read every ticket on each view; the film list has them.
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["code"]  # exact codes and references: get_search_results
    search_help_text = "A ticket code, or a reservation's reference for the tickets it holds."
    autocomplete_fields = ["film"]

    def get_queryset(self, request):
        # A ticket's code is admission at the cinema. Free and void stock, codes no customer holds,
        # is listed only to staff who log in with a second factor. The others (the booking agent,
        # password only) see the tickets bookings hold: codes already sent to their customers,
        # as the Emails pages show them.
        tickets = super().get_queryset(request)
        return tickets if holds_secrets(request.user) else tickets.filter(reservation__isnull=False)

    def get_changelist(self, request, **kwargs):
        return LargeTableChangeList

    def get_search_results(self, request, queryset, search_term):
        # Exact matches, each through its own index; comparing upper-cased values (the admin's
        # "=" search) would read every ticket and join every reservation. The reference is looked
        # up first for the same reason: a join inside the OR would read every ticket again.
        term = search_term.strip()
        if not term:
            return queryset, False
        matches = Q(code__in={term, term.upper()})
        if REFERENCE_RE.match(term.upper()):
            holder = Reservation.objects.filter(reference=term.upper()).values_list("pk", flat=True)
            matches |= Q(reservation__in=list(holder))
        return queryset.filter(matches), False

    def get_readonly_fields(self, request, obj=None):
        # Tickets are linked and unlinked only by Reservation.allocate_tickets(); a hand-made link
        # (or a film change under a held ticket) would break "tickets held == quantity".
        if obj is not None and obj.reservation_id:
            return ["reservation", "film"]
        return ["reservation"]
