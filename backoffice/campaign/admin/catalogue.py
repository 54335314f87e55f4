from django.contrib import admin

from backoffice.campaign.admin.data_exchange import SpreadsheetImportExportMixin
from backoffice.campaign.models import Cinema, Film
from backoffice.campaign.resources.catalogue import CinemaResource, FilmResource


@admin.register(Cinema)
class CinemaAdmin(SpreadsheetImportExportMixin, admin.ModelAdmin):
    resource_classes = [CinemaResource]
    list_display = ["name", "address", "lat", "lng"]
    search_fields = ["name", "address", "slug"]
    readonly_fields = ["slug"]
    fields = ["name", "slug", "address", "lat", "lng"]


@admin.register(Film)
class FilmAdmin(SpreadsheetImportExportMixin, admin.ModelAdmin):
    resource_classes = [FilmResource]
    # Chosen to fit a 1280 px screen with the side menu open; running times are on the change form.
    list_display = ["name", "release_date", "certificate", "genre", "live", "screenings_sold_out"]
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

    class Media:
        css = {"all": ["campaign/admin.css"]}

    @admin.display(description="Sold out", ordering="screenings_sold_out")
    def screenings_sold_out(self, film: Film) -> str:
        return f"{film.screenings_sold_out} of {film.screenings_total} upcoming"
