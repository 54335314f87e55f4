from django.contrib import admin

from backoffice.campaign.admin.data_exchange import SpreadsheetExportMixin
from backoffice.campaign.models import Reservation
from backoffice.campaign.resources.reservations import ReservationExportResource


@admin.register(Reservation)
class ReservationAdmin(SpreadsheetExportMixin, admin.ModelAdmin):
    resource_classes = [ReservationExportResource]
    list_display = ["reservation_id", "name", "email", "screening", "quantity", "access_code", "created_at"]
    list_filter = ["screening__film", "screening__cinema", "quantity", "created_at"]
    list_select_related = ["screening__film", "screening__cinema", "access_code"]
    search_fields = ["=reservation_id", "name", "email", "=access_code__value", "screening__slug"]
    autocomplete_fields = ["screening", "access_code"]
    readonly_fields = ["reservation_id", "created_at"]
    date_hierarchy = "created_at"
