import re

from django import forms
from django.contrib import admin
from django.db.models import Q

from backoffice.campaign.admin.access_codes import AccessCodeValuesMixin, WithdrawnCodeFilter, may_view_access_codes
from backoffice.campaign.admin.bulk_bookings import cancel_reservations, move_reservations
from backoffice.campaign.admin.data_exchange import LargeTableExportMixin
from backoffice.campaign.admin.emails import ReservationEmailsInline, resend_confirmation
from backoffice.campaign.admin.history import HistoryAdmin
from backoffice.campaign.admin.inlines import ReadOnlyTabularInline
from backoffice.campaign.admin.lists import CappedCountPaginator, FixedChoicesFilter, LargeTableChangeList
from backoffice.campaign.admin.locked_saves import LockedSaveMixin
from backoffice.campaign.admin.personal_data import erase_personal_data, export_personal_data
from backoffice.campaign.admin.typed_codes import TypedAccessCodeField
from backoffice.campaign.codes import CODE_RE, REFERENCE_RE, access_code_normalise
from backoffice.campaign.models import MAX_SEATS_PER_RESERVATION, Reservation, Ticket
from backoffice.campaign.resources.reservations import ReservationExportResource
from backoffice.campaign.services.reservations import (
    reservation_booking,
    reservation_create,
    reservation_email_check,
    reservation_update,
)


class TicketsHeldInline(ReadOnlyTabularInline):
    """The tickets a reservation holds; only allocation links and unlinks them."""

    model = Ticket
    fields = ["code", "film"]
    show_change_link = True
    template = "admin/edit_inline/tabular_linked.html"  # each code once, as the link to its ticket
    verbose_name_plural = "tickets held"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("film").in_code_order()


# One word with an @ and a dot after it: a whole address, matched exactly (in any case).
WHOLE_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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


class QuantityFilter(FixedChoicesFilter):
    title = "quantity"
    parameter_name = "quantity"
    options = {"active": ("1 or more (active)", Q(quantity__gt=0)), "0": ("0 (cancelled)", Q(quantity=0))} | {
        str(n): (str(n), Q(quantity=n)) for n in range(1, 5)
    }


@admin.register(Reservation)
class ReservationAdmin(AccessCodeValuesMixin, LockedSaveMixin, LargeTableExportMixin, HistoryAdmin):
    form = ReservationForm
    resource_classes = [ReservationExportResource]
    list_display = ["reference", "name", "email", "screening", "quantity", "access_code", "created_at"]
    list_filter = ["screening__film", "screening__cinema", QuantityFilter, WithdrawnCodeFilter, "created_at"]
    # Read for the page's rows only: joined, they would be read for every row a deep page skips.
    list_select_related = []
    list_prefetch_related = ["screening__film", "screening__cinema", "access_code"]
    # Words by part, through trigram indexes on PostgreSQL; whole email addresses, references and
    # codes exactly, through their own indexes: get_search_results.
    search_fields = ["name", "email"]
    search_help_text = (
        "A reference, an access code or a whole email address finds its booking; other words search names and emails."
    )
    autocomplete_fields = ["screening", "access_code"]
    # No IP address: on a booking staff type it would be their own, not the customer's.
    fields = [
        "reference",
        "created_at",
        "name",
        "email",
        "screening",
        "seats_left",
        "access_code",
        "quantity",
    ]
    readonly_fields = ["reference", "created_at", "seats_left"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = CappedCountPaginator  # a million bookings: counted to 10,000, then searched or filtered
    show_facets = admin.ShowFacets.NEVER  # counts per film, cinema, quantity and date: 100,000 rows each
    inlines = [TicketsHeldInline, ReservationEmailsInline]
    actions = [cancel_reservations, move_reservations, resend_confirmation, erase_personal_data, export_personal_data]

    class Media:
        css = {"all": ["campaign/admin/screening-picker.css"]}

    def get_changelist(self, request, **kwargs):
        return LargeTableChangeList

    def has_delete_permission(self, request, obj=None) -> bool:
        # Never, superusers included: a deleted booking would void its tickets and tell nobody,
        # and leave its person in the outbox and history where erasure cannot find them. Cancel
        # (quantity 0) or move it instead; personal data leaves by erasure or retention.
        return False

    def has_erase_permission(self, request) -> bool:
        return request.user.has_perm("campaign.erase_reservation")

    def get_autocomplete_fields(self, request):
        if request.user.has_perm("campaign.view_accesscode"):
            return self.autocomplete_fields
        return [name for name in self.autocomplete_fields if name != "access_code"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Staff who may not see the access codes (booking agents) type the customer's code instead.
        if db_field.name == "access_code" and not request.user.has_perm("campaign.view_accesscode"):
            return TypedAccessCodeField(required=not db_field.blank, label=db_field.verbose_name.capitalize())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        # Codes and references are matched exactly, through their unique indexes: a pattern
        # match would read every booking, and joining codes every one of a million codes.
        term = search_term.strip().upper()
        code = access_code_normalise(search_term)
        if CODE_RE.match(code):
            # Only for staff who may see codes: a match would tell others the code exists and who holds it.
            if not may_view_access_codes(request):
                return queryset.none(), False
            return queryset.filter(access_code__value=code), False
        if REFERENCE_RE.match(term):
            return queryset.filter(reference=term), False
        if WHOLE_EMAIL_RE.match(term):
            # UPPER(email) = UPPER(term), through its index: as words, the address's common
            # pieces ("example", ".org") would be looked up in every booking's email.
            return queryset.filter(email__iexact=term), False
        return super().get_search_results(request, queryset, search_term)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new reservation holds no tickets yet

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The model's help ("0 cancels the reservation") is true of the change form only: a new
        # booking takes 1 seat at least.
        if obj is None:
            help_text = f"Seats to book, 1 to {MAX_SEATS_PER_RESERVATION}."
        else:
            help_text = (
                f"Seats held, 0 to {MAX_SEATS_PER_RESERVATION}. 0 cancels the reservation: its seats are freed "
                "and the customer is sent a cancellation."
            )
        return super().get_form(request, obj, change, help_texts={"quantity": help_text}, **kwargs)

    def get_fields(self, request, obj=None):
        # A new reservation's reference is drawn when it is saved (and again if it clashes), so
        # the add form shows none. The message after saving names the saved one (str(reservation)).
        if obj is None:
            return [name for name in self.fields if name not in {"reference", "created_at"}]
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
        with reservation_booking(obj) as booking:
            if change:
                booking.before = reservation_update(reservation=obj, fields=form.changed_data)
            else:
                reservation_create(reservation=obj)
            obj.allocate_tickets()
