import re

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import BooleanField, Case, Count, ExpressionWrapper, F, Q, When
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from import_export.forms import ConfirmImportForm

from backoffice.campaign.admin.bulk_bookings import may_cancel_screening, screening_cancel_view
from backoffice.campaign.admin.data_exchange import SpreadsheetImportExportMixin, log_data_exchange
from backoffice.campaign.admin.deletions import CountedDeletionMixin
from backoffice.campaign.admin.history import HistoryAdmin
from backoffice.campaign.admin.import_limits import LimitedImportForm
from backoffice.campaign.admin.lists import GroupedCountsRelatedFilter, LargeTableChangeList
from backoffice.campaign.admin.locked_saves import LockedSaveMixin
from backoffice.campaign.codes import SCREENING_CODE_RE
from backoffice.campaign.models import DataExchangeLog, Reservation, Screening
from backoffice.campaign.querysets import bookable_condition
from backoffice.campaign.resources.door_lists import DoorListResource
from backoffice.campaign.resources.formats import CSV
from backoffice.campaign.resources.screenings import ScreeningResource
from backoffice.campaign.services.reservations import screening_update

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
# Days as staff type them: 2026-12-08, 8/12, 08/12/2026, 8 Dec, Tue 8 December 2026.
DAY_PATTERNS = [
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(r"\b(?P<day>\d{1,2})/(?P<month>\d{1,2})(?:/(?P<year>\d{4}))?\b"),
    re.compile(
        r"\b(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\s+)?(?P<day>\d{1,2})\s+"
        r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*(?:\s+(?P<year>\d{4}))?\b",
        re.IGNORECASE,
    ),
]


def day_in(term: str) -> tuple[dict[str, int], str]:
    """A day named in a search term, as ``starts_at`` lookups (London time), and the rest of the term."""
    for pattern in DAY_PATTERNS:
        if match := pattern.search(term):
            month = match["month"]
            lookups = {
                "starts_at__day": int(match["day"]),
                "starts_at__month": int(month) if month.isdigit() else MONTHS.index(month.lower()[:3]) + 1,
            }
            if match["year"]:
                lookups["starts_at__year"] = int(match["year"])
            return lookups, f"{term[: match.start()]} {term[match.end() :]}".strip()
    return {}, term


# What may come before a word in a name: "York - Vangarde", "Spider-Man", "Elf (2003)".
WORD_BREAKS = (" ", "-", "(", "/")


def word_start_condition(word: str, fields: list[str], model) -> Q:
    """Rows of ``model`` where a word of one of ``fields`` starts with ``word`` (any case): "elf"
    finds "Elf" and "The Elf Musical", not "Belfast". Said with LIKE, so it reads the same on
    PostgreSQL and SQLite.

    A name across a relation (``film__name``) is matched in its own table, a few dozen films or
    a hundred cinemas, and the screenings picked by key: the patterns then run once a film
    rather than once a screening. A field of the row itself (the slug) is an identifier, typed
    from its start.
    """
    condition = Q()
    for field in fields:
        relation, _, name = field.rpartition("__")
        if not relation:
            condition |= Q(**{f"{name}__istartswith": word})
            continue
        starts = Q(**{f"{name}__istartswith": word})
        for mark in WORD_BREAKS:
            starts |= Q(**{f"{name}__icontains": f"{mark}{word}"})
        related = model._meta.get_field(relation).related_model
        condition |= Q(**{f"{relation}__in": related.objects.filter(starts)})
    return condition


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

    def get_facet_queryset(self, changelist):
        # One grouped pass, each screening's seats counted once; Django's default reads the
        # seats of every screening again for each choice.
        filtered = changelist.get_queryset(self.request, exclude_parameters=self.expected_parameters())
        grouped = (
            filtered._with_sold_out_once()
            .order_by()
            .values_list("sold_out", ExpressionWrapper(Q(cancelled_at__isnull=False), output_field=BooleanField()))
            .annotate(n=Count("pk"))
        )
        counts = {"0__c": 0, "1__c": 0}
        for sold_out, cancelled, n in grouped:
            if sold_out:
                counts["0__c"] += n
            elif not cancelled:
                counts["1__c"] += n
        return counts


def seat_status(sold_out: bool, *, cancelled: bool = False) -> str:
    if cancelled:
        return format_html('<span class="seat-status seat-status--cancelled">{}</span>', "Cancelled")
    if sold_out:
        return format_html('<span class="seat-status seat-status--sold-out">{}</span>', "Sold out")
    return format_html('<span class="seat-status seat-status--available">{}</span>', "Available")


class ScreeningImportForm(LimitedImportForm):
    # Last season's schedule comes in the same file as this one's: half its rows are past.
    skip_past = forms.BooleanField(
        label="Skip rows in the past",
        required=False,
        help_text="Rows whose start has passed are left out and counted; the other rows are still "
        "imported all together or not at all.",
    )


class ScreeningConfirmImportForm(ConfirmImportForm):
    skip_past = forms.BooleanField(required=False, widget=forms.HiddenInput)


@admin.register(Screening)
class ScreeningAdmin(CountedDeletionMixin, LockedSaveMixin, SpreadsheetImportExportMixin, HistoryAdmin):
    resource_classes = [ScreeningResource]
    import_form_class = ScreeningImportForm
    confirm_form_class = ScreeningConfirmImportForm
    import_options = ("skip_past",)
    # Chosen to fit a 1280 px screen with the side menu open: capacity is reserved + seats left,
    # and is on the change form.
    list_display = ["start", "code", "film", "cinema", "seats_reserved", "seats_left", "sold_out"]
    list_display_links = ["start"]
    # A thousand cinemas: their counts come from one grouped query (GroupedCountsRelatedFilter).
    list_filter = [SoldOutFilter, ("film", GroupedCountsRelatedFilter), ("cinema", GroupedCountsRelatedFilter)]
    list_select_related = ["film", "cinema"]
    date_hierarchy = "starts_at"
    search_fields = ["slug", "film__name", "cinema__name"]  # and short codes exactly: get_search_results
    autocomplete_fields = ["film", "cinema"]
    readonly_fields = ["code", "slug"]
    ordering = ["starts_at", "pk"]
    actions = ["export_door_list"]
    change_form_template = "admin/campaign/screening/change_form.html"

    class Media:
        css = {"all": ["campaign/admin.css"]}

    def get_changelist(self, request, **kwargs):
        # The date drill-down from the first and last screenings, none while searching.
        return LargeTableChangeList

    def get_queryset(self, request):
        # Seats reserved are a column of the screening (kept by triggers); the columns below read it.
        # Film and cinema joined in the same query: the reservation form's picker names both.
        return super().get_queryset(request).select_related("film", "cinema").with_sold_out()

    def get_search_results(self, request, queryset, search_term):
        """A short code; else each word at the start of a word of the film, the cinema or the slug,
        and a day typed in almost any form ("8 Dec", "08/12/2026")."""
        # A customer's short code, as read out ("k7m q3x"), is matched exactly through its unique
        # index; the "=" search would compare UPPER(code), which no index serves.
        code = "".join(search_term.split()).upper()
        if SCREENING_CODE_RE.match(code):
            return queryset.filter(code=code), False
        day, rest = day_in(search_term)
        queryset = queryset.filter(**day)
        for word in rest.split():
            queryset = queryset.filter(word_start_condition(word, self.search_fields, self.model))
        return queryset, False

    def autocomplete_ordering(self, queryset):
        """The picker lists first the screenings still taking bookings, soonest first; then the
        closed ones (bookings closed, started or cancelled), latest first, where a search still
        finds them. Unordered, the picker began with last season's first screening."""
        bookable_start = Case(When(bookable_condition() & Q(cancelled_at__isnull=True), then=F("starts_at")))
        return queryset.order_by(bookable_start.asc(nulls_last=True), F("starts_at").desc(), "pk")

    def autocomplete_label(self, screening: Screening) -> str:
        """How the reservation form's screening picker names a screening, and whether it can be booked."""
        local = screening.local_start
        day = f"{local:%a} {local.day} {local:%b}"
        if screening.is_cancelled:
            status = "cancelled"
        elif screening.starts_at <= timezone.now():
            # With its year: last season's "Sat 6 Dec" would otherwise read as today.
            status, day = "past", f"{day} {local.year}"
        elif screening.bookings_closed:
            status = "bookings closed"
        elif screening.sold_out:
            status = "sold out"
        else:
            status = f"{screening.seats_left} left"
        return f"{screening.film} · {screening.cinema} · {day} {local:%H:%M} · {status}"

    @admin.display(description="Starts", ordering="starts_at")
    def start(self, screening: Screening) -> str:
        return f"{screening.local_start:%a %-d %b %Y %H:%M}"

    @admin.display(description="Reserved", ordering="seats_reserved")
    def seats_reserved(self, screening: Screening) -> int:
        return screening.seats_reserved

    @admin.display(description="Seats left", ordering="seats_left")
    def seats_left(self, screening: Screening) -> int:
        return screening.seats_left

    @admin.display(description="Sold out", ordering="sold_out")
    def sold_out(self, screening: Screening) -> str:
        # Words: Django's boolean icons put a green tick on "sold out" and a red cross on "available".
        return seat_status(screening.sold_out, cancelled=screening.is_cancelled)

    @admin.action(description="Export door list (CSV)", permissions=["door_list"])
    def export_door_list(self, request, queryset) -> HttpResponse:
        """Who is coming to the selected screenings, with their ticket codes, for the cinema's door staff."""
        reservations = Reservation.objects.filter(screening__in=queryset)
        csv = CSV()
        dataset = DoorListResource().export(queryset=reservations)
        log_data_exchange(
            request,
            action=DataExchangeLog.Action.EXPORT,
            model=Reservation,
            file_format=csv.get_extension(),
            file_name="door-list.csv",
            rows=len(dataset),
        )
        response = HttpResponse(csv.export_data(dataset), content_type=csv.get_content_type())
        response["Content-Disposition"] = 'attachment; filename="door-list.csv"'
        return response

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "starts_at":
            # Django's split date and time inputs share the field's one label: name each for screen readers.
            date, time = field.widget.widgets
            date.attrs["aria-label"], time.attrs["aria-label"] = "Start date", "Start time"
        return field

    def get_urls(self):
        cancel = self.admin_site.admin_view(self.cancel_view)
        return [path("<path:object_id>/cancel/", cancel, name="campaign_screening_cancel"), *super().get_urls()]

    def cancel_view(self, request, object_id: str):
        return screening_cancel_view(self, request, unquote(object_id))

    def has_delete_permission(self, request, obj=None) -> bool:
        # A cancelled screening is kept: its row is what tells the public, and its history, that it is off.
        if obj is not None and obj.is_cancelled:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # Who cancelled it, when and why: shown once it is cancelled, never typed in.
        if obj is not None and obj.is_cancelled:
            return [*self.readonly_fields, "cancelled_at", "cancelled_by", "cancellation_reason"]
        return self.readonly_fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "may_cancel": may_cancel_screening(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_door_list_permission(self, request) -> bool:
        # Names and ticket codes of customers: the same grant as the reservations export.
        return request.user.has_perm("campaign.export_reservation")

    def save_model(self, request, obj, form, change) -> None:
        if change:
            # Capacity (and film) re-checked under the screening's row lock: a booking that
            # lands after the form was validated cannot leave the screening oversold.
            screening_update(screening=obj, fields=form.changed_data)
        else:
            super().save_model(request, obj, form, change)
