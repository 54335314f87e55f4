from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.utils.html import format_html
from django.utils.translation import ngettext

from backoffice.campaign.admin.data_exchange import SpreadsheetImportExportMixin
from backoffice.campaign.admin.deletions import CountedDeletionMixin
from backoffice.campaign.admin.history import HistoryAdmin
from backoffice.campaign.models import Cinema, Film
from backoffice.campaign.querysets import door_list_unaddressed_condition
from backoffice.campaign.resources.catalogue import CinemaResource, FilmResource
from backoffice.campaign.services.ticket_stock import TicketStock, film_ticket_stock, film_tickets_held_and_void


class DoorListFilter(admin.SimpleListFilter):
    title = "door lists"
    parameter_name = "door_lists"

    def lookups(self, request, model_admin):
        return [("unaddressed", "No contact email, screenings to come")]

    def queryset(self, request, queryset):
        if self.value() == "unaddressed":
            return queryset.filter(door_list_unaddressed_condition())
        return queryset


@admin.register(Cinema)
class CinemaAdmin(CountedDeletionMixin, SpreadsheetImportExportMixin, HistoryAdmin):
    resource_classes = [CinemaResource]
    list_display = ["name", "address", "lat", "lng", "contact_email"]
    list_filter = [DoorListFilter]
    search_fields = ["name", "address", "slug"]
    readonly_fields = ["slug"]
    fields = ["name", "slug", "address", "lat", "lng", "contact_email"]


class FilmChangeList(ChangeList):
    """Reads the page's ticket stock in grouped queries (``film_ticket_stock``, then held and void
    tickets) and sets it on each film, as annotations would be: ``ticket_stock`` for the "Stock"
    column, ``tickets_free``, ``tickets_held`` and ``tickets_void`` for theirs. Not sortable by
    them: they are not in the list's own query."""

    def get_results(self, request) -> None:
        super().get_results(request)
        films = [film.pk for film in self.result_list]
        stock = film_ticket_stock(films=films)
        taken = film_tickets_held_and_void(films=films)
        for film in self.result_list:
            film.ticket_stock = stock.get(film.pk, TicketStock())
            film.tickets_free = film.ticket_stock.tickets_free
            film.tickets_held, film.tickets_void = taken.get(film.pk, (0, 0))


@admin.register(Film)
class FilmAdmin(CountedDeletionMixin, SpreadsheetImportExportMixin, HistoryAdmin):
    resource_classes = [FilmResource]
    # Chosen to fit a 1280 px screen with the side menu open; running times are on the change form.
    list_display = [
        "name",
        "certificate",
        "live",
        "screenings_sold_out",
        "tickets_free",
        "tickets_held",
        "tickets_void",
        "stock_short",
    ]
    list_filter = ["live", "certificate", "genre"]
    list_editable = ["live"]
    search_fields = ["name", "slug", "genre"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "live"]}),
        (
            "Details",
            {"fields": ["release_date", "genre", "certificate", "running_time", "showing_from", "description"]},
        ),
        ("Images", {"fields": ["image_1", "image_2", "copyright"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_sold_out()

    @admin.display(description="Free tickets")
    def tickets_free(self, film: Film) -> int:
        return film.tickets_free

    @admin.display(description="Held")
    def tickets_held(self, film: Film) -> int:
        return film.tickets_held

    @admin.display(description="Void")
    def tickets_void(self, film: Film) -> int:
        return film.tickets_void

    def get_changelist(self, request, **kwargs):
        return FilmChangeList

    @admin.display(description="Stock")
    def stock_short(self, film: Film) -> str:
        """Fewer free tickets than seats still offered: load more stock before bookings are refused.

        A word, not an icon: a boolean column's tick or cross says nothing without its heading.
        """
        stock = film.ticket_stock
        if stock.short:
            return format_html(
                '<span class="seat-status seat-status--low">Short</span> {} {} offered',
                f"{stock.seats_offered:,}",
                ngettext("seat", "seats", stock.seats_offered),
            )
        return ""

    class Media:
        css = {"all": ["campaign/admin.css"]}

    @admin.display(description="Sold out", ordering="screenings_sold_out")
    def screenings_sold_out(self, film: Film) -> str:
        return f"{film.screenings_sold_out} of {film.screenings_total} upcoming"
