from django.contrib import admin

from backoffice.campaign.admin.data_exchange import SpreadsheetExportMixin
from backoffice.campaign.admin.emails import ReservationEmailsInline, resend_confirmation
from backoffice.campaign.admin.locked_saves import LockedSaveMixin
from backoffice.campaign.models import Reservation, Ticket
from backoffice.campaign.resources.reservations import ReservationExportResource
from backoffice.campaign.services.reservations import reservation_create, reservation_update, screening_seats_left


class TicketsHeldInline(admin.TabularInline):
    """The tickets a reservation holds; only allocation links and unlinks them."""

    model = Ticket
    fields = ["code", "film"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "tickets held"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("film")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Reservation)
class ReservationAdmin(LockedSaveMixin, SpreadsheetExportMixin, admin.ModelAdmin):
    resource_classes = [ReservationExportResource]
    list_display = ["reservation_id", "name", "email", "screening", "quantity", "access_code", "created_at"]
    list_filter = ["screening__film", "screening__cinema", "quantity", "created_at"]
    list_select_related = ["screening__film", "screening__cinema", "access_code"]
    search_fields = ["=reservation_id", "name", "email", "=access_code__value", "screening__slug"]
    autocomplete_fields = ["screening", "access_code"]
    fields = [
        "reservation_id",
        "created_at",
        "name",
        "email",
        "screening",
        "seats_left",
        "access_code",
        "quantity",
        "ip_address",
    ]
    readonly_fields = ["reservation_id", "created_at", "seats_left"]
    date_hierarchy = "created_at"
    inlines = [TicketsHeldInline, ReservationEmailsInline]
    actions = [resend_confirmation]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new reservation holds no tickets yet

    @admin.display(description="seats left")
    def seats_left(self, obj: Reservation) -> str:
        if obj.screening_id is None:
            return "-"
        return f"{screening_seats_left(screening=obj.screening)} of {obj.screening.capacity}"

    def save_model(self, request, obj, form, change) -> None:
        # The same locked path as Reservation.objects.create / update_booking, inside the admin's
        # transaction: seats, code usages and tickets are decided under row locks, and a refusal
        # (LockedSaveMixin) rolls the whole save back and shows the form again with the message.
        if change:
            reservation_update(reservation=obj, fields=form.changed_data)
        else:
            reservation_create(reservation=obj)
