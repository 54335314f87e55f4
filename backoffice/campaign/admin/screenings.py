from django.contrib import admin

from backoffice.campaign.admin.locked_saves import LockedSaveMixin
from backoffice.campaign.models import Screening
from backoffice.campaign.services.reservations import screening_update


@admin.register(Screening)
class ScreeningAdmin(LockedSaveMixin, admin.ModelAdmin):
    list_display = ["starts_at", "film", "cinema", "capacity"]
    list_filter = ["film", "cinema"]
    list_select_related = ["film", "cinema"]
    date_hierarchy = "starts_at"
    search_fields = ["slug", "film__name", "cinema__name"]
    autocomplete_fields = ["film", "cinema"]
    readonly_fields = ["slug"]
    ordering = ["starts_at", "pk"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            # Capacity (and film) re-checked under the screening's row lock: a booking that
            # lands after the form was validated cannot leave the screening oversold.
            screening_update(screening=obj, fields=form.changed_data)
        else:
            super().save_model(request, obj, form, change)
