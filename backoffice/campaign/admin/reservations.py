from django import forms
from django.contrib import admin

from backoffice.campaign.admin.access_codes import AccessCodeValuesMixin
from backoffice.campaign.admin.data_exchange import SpreadsheetExportMixin
from backoffice.campaign.admin.locked_saves import LockedSaveMixin
from backoffice.campaign.models import Reservation, Ticket
from backoffice.campaign.resources.reservations import ReservationExportResource
from backoffice.campaign.services.reservations import (
    reservation_booking,
    reservation_create,
    reservation_email_check,
    reservation_update,
)


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


class ReservationForm(forms.ModelForm):
    def clean(self):
        cleaned_data = super().clean()
        # Named on the email field before the database's constraint is asked (which could only
        # say "taken"); the booking checks again under its locks.
        if cleaned_data.get("email") and cleaned_data.get("quantity"):
            try:
                reservation_email_check(email=cleaned_data["email"], other_than=self.instance.pk)
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned_data


@admin.register(Reservation)
class ReservationAdmin(AccessCodeValuesMixin, LockedSaveMixin, SpreadsheetExportMixin, admin.ModelAdmin):
    form = ReservationForm
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
    inlines = [TicketsHeldInline]

    class Media:
        css = {"all": ["campaign/admin/screening-picker.css"]}

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new reservation holds no tickets yet

    def get_fields(self, request, obj=None):
        # A new reservation's reference is drawn when it is saved (and again if it clashes), so
        # the add form shows none. The message after saving names the saved one (str(reservation)).
        if obj is None:
            return [name for name in self.fields if name not in {"reservation_id", "created_at"}]
        return self.fields

    @admin.display(description="seats left")
    def seats_left(self, obj: Reservation) -> str:
        if obj.screening_id is None:
            return "-"
        left = obj.screening.capacity - obj.screening.reservations.seats_reserved()
        return f"{left} of {obj.screening.capacity}"

    def save_model(self, request, obj, form, change) -> None:
        # The same locked path as Reservation.objects.create / update_booking, and the tickets
        # in the same transaction: seats, code usages and tickets are decided under row locks,
        # and a refusal (LockedSaveMixin) rolls the whole save back and shows the form again.
        with reservation_booking(obj):
            if change:
                reservation_update(reservation=obj, fields=form.changed_data)
            else:
                reservation_create(reservation=obj)
            obj.allocate_tickets()
