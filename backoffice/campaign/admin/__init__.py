"""Admin registrations, one module per part of the campaign."""

from django.contrib import admin

from backoffice.campaign.admin import (  # noqa: F401
    access_codes,
    catalogue,
    data_exchange,
    emails,
    reservations,
    screenings,
    tickets,
)

admin.site.site_header = "Xmas Films back office"
admin.site.site_title = "Xmas Films"
admin.site.index_title = "Campaign"
