from django.contrib import admin

from backoffice.campaign.admin.data_exchange import SpreadsheetImportExportMixin
from backoffice.campaign.models import Screening
from backoffice.campaign.resources.screenings import ScreeningResource


@admin.register(Screening)
class ScreeningAdmin(SpreadsheetImportExportMixin, admin.ModelAdmin):
    resource_classes = [ScreeningResource]
    list_display = ["starts_at", "film", "cinema", "capacity"]
    list_filter = ["film", "cinema"]
    list_select_related = ["film", "cinema"]
    date_hierarchy = "starts_at"
    search_fields = ["slug", "film__name", "cinema__name"]
    autocomplete_fields = ["film", "cinema"]
    readonly_fields = ["slug"]
    ordering = ["starts_at", "pk"]
