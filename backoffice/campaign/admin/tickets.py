from django.contrib import admin

from backoffice.campaign.models import Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["code", "film", "reservation"]
    list_filter = ["film", ("reservation", admin.EmptyFieldListFilter)]
    list_select_related = ["film", "reservation"]
    search_fields = ["=code", "=reservation__reservation_id"]
    autocomplete_fields = ["film", "reservation"]
