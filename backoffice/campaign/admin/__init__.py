"""Admin registrations, one module per part of the campaign."""

from django.contrib import admin

from backoffice.campaign.admin import access_codes, catalogue, reservations, screenings, tickets  # noqa: F401

admin.site.site_header = "Xmas Films back office"
admin.site.site_title = "Xmas Films"
admin.site.index_title = "Campaign"
