"""Bookings changed in bulk from the admin: cancel or move a selection, cancel a whole screening.

Each is a confirmation page (counts, never a list of rows) and one call to a service of
services/reservations.py, which changes every booking or none. Reservations are never deleted:
these are the ways out of a booking, and each sends its customer one email.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from backoffice.campaign.models import Reservation, Screening
from backoffice.campaign.one_line import validate_text
from backoffice.campaign.services.reservations import (
    BookingsDoNotFit,
    BulkOutcome,
    bookings_counted,
    bookings_in_words,
    reservations_cancel,
    reservations_move,
    screening_cancel,
)

#: A refusal lists at most this many bookings, then says how many more would not fit.
REPORT_LINES = 50


def screening_picker(admin_site: admin.AdminSite, **kwargs) -> forms.ModelChoiceField:
    """The reservation form's screening picker: searched by film, cinema or day, labelled with seats left."""
    widget = AutocompleteSelect(Reservation._meta.get_field("screening"), admin_site)
    return forms.ModelChoiceField(queryset=Screening.objects.all(), widget=widget, **kwargs)


class MoveForm(forms.Form):
    def __init__(self, *args, admin_site: admin.AdminSite, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["screening"] = screening_picker(admin_site, label="Move them to")


class ScreeningCancelForm(forms.Form):
    MOVE, CANCEL = "move", "cancel"

    reason = forms.CharField(
        label="Why is it cancelled?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        validators=[validate_text],  # as Screening.cancellation_reason, which it is saved to
        help_text='Customers read this in their email, e.g. "The projector has broken down."',
    )
    bookings = forms.ChoiceField(
        label="Its bookings",
        choices=[(MOVE, "Move every booking to another screening"), (CANCEL, "Cancel every booking")],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, admin_site: admin.AdminSite, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["move_to"] = screening_picker(
            admin_site, label="Move them to", required=False, help_text="Only when moving them."
        )

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("bookings") == self.MOVE and not cleaned_data.get("move_to"):
            self.add_error("move_to", "Choose the screening to move the bookings to.")
        return cleaned_data


def may_rebook(request: HttpRequest) -> bool:
    """Cancel or move bookings in bulk: the roles that may change reservations (booking agents, managers)."""
    return request.user.has_perm("campaign.change_reservation")


def may_cancel_screening(request: HttpRequest) -> bool:
    """Cancel a screening: it changes the screening and every booking on it, so both grants (campaign managers)."""
    return request.user.has_perm("campaign.change_screening") and may_rebook(request)


@admin.action(description="Cancel selected reservations", permissions=["change"])
def cancel_reservations(modeladmin, request: HttpRequest, queryset: QuerySet[Reservation]) -> HttpResponse | None:
    counted = bookings_counted(queryset)
    if not counted.bookings:
        modeladmin.message_user(request, "The selected reservations are already cancelled.", messages.WARNING)
        return None
    if request.POST.get("post") != "yes":
        return _confirmation(modeladmin, request, queryset, "cancel_reservations", counted, form=None)
    try:
        done = reservations_cancel(reservations=queryset, by=request.user)
    except ValidationError as error:
        modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
        return None
    modeladmin.message_user(
        request, f"Cancelled {_in_words(done)}; each customer is sent one cancellation email.", messages.SUCCESS
    )
    return None


@admin.action(description="Move selected reservations to another screening", permissions=["change"])
def move_reservations(modeladmin, request: HttpRequest, queryset: QuerySet[Reservation]) -> HttpResponse | None:
    counted = bookings_counted(queryset)
    if not counted.bookings:
        modeladmin.message_user(request, "The selected reservations are cancelled: there is nothing to move.")
        return None
    confirmed = request.POST.get("post") == "yes"
    form = MoveForm(request.POST if confirmed else None, admin_site=modeladmin.admin_site)
    refusals = []
    if confirmed and form.is_valid():
        to = form.cleaned_data["screening"]
        try:
            done = reservations_move(reservations=queryset, screening=to, by=request.user)
        except ValidationError as error:
            refusals = _refused(form, error)
        else:
            modeladmin.message_user(
                request, f"Moved {_in_words(done)} to {to}; each customer is sent one update email.", messages.SUCCESS
            )
            return None
    return _confirmation(modeladmin, request, queryset, "move_reservations", counted, form=form, refusals=refusals)


def screening_cancel_view(modeladmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """The "Cancel this screening" page: why, and whether its bookings move or are cancelled."""
    screening = get_object_or_404(Screening.objects.select_related("film", "cinema"), pk=object_id)
    if not may_cancel_screening(request):
        raise PermissionDenied
    change_url = reverse("admin:campaign_screening_change", args=[screening.pk])
    if screening.is_cancelled:
        modeladmin.message_user(request, f"{screening} is already cancelled.", messages.WARNING)
        return HttpResponseRedirect(change_url)
    form = ScreeningCancelForm(
        request.POST if request.method == "POST" else None,
        initial={"bookings": ScreeningCancelForm.MOVE},
        admin_site=modeladmin.admin_site,
    )
    refusals = []
    if request.method == "POST" and form.is_valid():
        move = form.cleaned_data["bookings"] == ScreeningCancelForm.MOVE
        move_to = form.cleaned_data["move_to"] if move else None
        try:
            done = screening_cancel(
                screening=screening, by=request.user, reason=form.cleaned_data["reason"], move_to=move_to
            )
        except ValidationError as error:
            refusals = _refused(form, error)
        else:
            modeladmin.log_change(request, screening, "Cancelled the screening.")
            what = f"moved {_in_words(done)} to {move_to}" if move_to else f"cancelled {_in_words(done)}"
            modeladmin.message_user(
                request,
                f"Cancelled {screening}: {what}; each customer is sent one email saying so.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": Screening._meta,
        "original": screening,
        "title": "Cancel this screening",
        "subtitle": str(screening),
        "counts": _in_words(bookings_counted(screening.reservations.all())),
        "form": form,
        "media": modeladmin.media + form.media,
        "refusals": refusals[:REPORT_LINES],
        "more_refusals": max(len(refusals) - REPORT_LINES, 0),
    }
    return TemplateResponse(request, "admin/campaign/screening/cancel_form.html", context)


def _confirmation(modeladmin, request, queryset, action: str, counted: BulkOutcome, *, form, refusals=()):
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "queryset": queryset,
        # "Select all" across pages: the changelist's filters (in the URL) say which, not a list of pks.
        "select_across": request.POST.get("select_across") == "1",
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "title": "Move reservations" if action == "move_reservations" else "Cancel reservations",
        "counts": _in_words(counted),
        "form": form,
        "media": modeladmin.media + (form.media if form else forms.Media()),
        "refusals": refusals[:REPORT_LINES],
        "more_refusals": max(len(refusals) - REPORT_LINES, 0),
    }
    return TemplateResponse(request, "admin/campaign/reservation/bulk_confirmation.html", context)


def _refused(form: forms.Form, error: ValidationError) -> list[str]:
    """Put a service's refusal on the form; the bookings that would not fit are returned to be listed."""
    errors = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
    for field, field_errors in errors.items():
        form.add_error(field if field in form.fields else None, field_errors)
    return error.refusals if isinstance(error, BookingsDoNotFit) else []


def _in_words(outcome: BulkOutcome) -> str:
    return bookings_in_words(bookings=outcome.bookings, seats=outcome.seats, customers=outcome.customers)
