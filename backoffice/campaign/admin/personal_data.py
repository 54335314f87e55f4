"""Reservation actions for customers' rights: erasure on request, and a copy of what is held."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from backoffice.campaign.admin.data_exchange import log_data_exchange
from backoffice.campaign.models import DataExchangeLog, Reservation
from backoffice.campaign.services.personal_data import personal_data_erase, personal_data_export
from backoffice.campaign.services.personal_data_register import ERASED_DOMAIN


def _people(queryset: QuerySet[Reservation]) -> list[str]:
    """The selected reservations' addresses, once each whatever their case; erased ones left out."""
    found: dict[str, str] = {}
    for email in queryset.order_by("email").values_list("email", flat=True):
        if not email.lower().endswith(f"@{ERASED_DOMAIN}"):
            found.setdefault(email.lower(), email)
    return list(found.values())


@admin.action(description="Erase the selected people's personal data", permissions=["erase"])
def erase_personal_data(modeladmin, request: HttpRequest, queryset: QuerySet[Reservation]) -> HttpResponse | None:
    emails = _people(queryset)
    if not emails:
        modeladmin.message_user(request, "The selected reservations are already erased.", messages.WARNING)
        return None
    if request.POST.get("post") != "yes":
        context = {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.model._meta,
            "queryset": queryset,
            "emails": emails,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "title": "Erase personal data",
        }
        return TemplateResponse(request, "admin/campaign/reservation/erase_confirmation.html", context)
    for email in emails:
        try:
            erased = personal_data_erase(email=email, by=request.user)
        except ValidationError as error:
            modeladmin.message_user(request, " ".join(error.messages), messages.WARNING)
        else:
            # The address itself is not repeated: the message is kept in the staff member's session.
            modeladmin.message_user(request, f"Erased one person: {erased}.", messages.SUCCESS)
    return None


@admin.action(description="Download everything held about the selected person", permissions=["export"])
def export_personal_data(modeladmin, request: HttpRequest, queryset: QuerySet[Reservation]) -> HttpResponse | None:
    emails = _people(queryset)
    if len(emails) != 1:
        modeladmin.message_user(
            request,
            f"Select the reservations of one person (one email address); the selection has {len(emails)}.",
            messages.WARNING,
        )
        return None
    held = personal_data_export(email=emails[0])
    # The file name, not the address: the log must hold no customer's data.
    log_data_exchange(
        request,
        action=DataExchangeLog.Action.EXPORT,
        model=Reservation,
        file_format="json",
        file_name="personal-data.json",
        rows=len(held["reservations"]),
    )
    response = JsonResponse(held, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
    return response
