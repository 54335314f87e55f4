from django.contrib import admin

from backoffice.campaign.admin.data_exchange import SpreadsheetImportExportMixin
from backoffice.campaign.admin.locked_saves import LockedSaveMixin
from backoffice.campaign.models import Screening
from backoffice.campaign.resources.screenings import ScreeningResource
from backoffice.campaign.services.reservations import screening_update


class SoldOutFilter(admin.SimpleListFilter):
    title = "sold out"
    parameter_name = "sold_out"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.sold_out()
        if self.value() == "no":
            return queryset.available()
        return queryset


@admin.register(Screening)
class ScreeningAdmin(LockedSaveMixin, SpreadsheetImportExportMixin, admin.ModelAdmin):
    resource_classes = [ScreeningResource]
    list_display = ["starts_at", "film", "cinema", "capacity", "seats_reserved", "seats_left", "sold_out"]
    list_filter = [SoldOutFilter, "film", "cinema"]
    list_select_related = ["film", "cinema"]
    date_hierarchy = "starts_at"
    search_fields = ["slug", "film__name", "cinema__name"]
    autocomplete_fields = ["film", "cinema"]
    readonly_fields = ["slug"]
    ordering = ["starts_at", "pk"]

    def get_queryset(self, request):
        # One subquery per row inside the page's single query; the columns below read its results.
        # Film and cinema come with each row: the picker (autocomplete) shows them in every label.
        return super().get_queryset(request).select_related("film", "cinema").with_sold_out()

    @admin.display(description="Reserved", ordering="seats_reserved")
    def seats_reserved(self, screening: Screening) -> int:
        return screening.seats_reserved

    @admin.display(description="Seats left", ordering="seats_left")
    def seats_left(self, screening: Screening) -> int:
        return screening.seats_left

    @admin.display(description="Sold out", boolean=True, ordering="sold_out")
    def sold_out(self, screening: Screening) -> bool:
        return screening.sold_out

    def save_model(self, request, obj, form, change) -> None:
        if change:
            # Capacity (and film) re-checked under the screening's row lock: a booking that
            # lands after the form was validated cannot leave the screening oversold.
            screening_update(screening=obj, fields=form.changed_data)
        else:
            super().save_model(request, obj, form, change)
