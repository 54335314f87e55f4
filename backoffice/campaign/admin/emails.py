"""The outbox in the admin: every email with its status, each reservation's emails, resending, previews."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from backoffice.campaign.admin.inlines import ReadOnlyTabularInline
from backoffice.campaign.email_messages import preview_html, sample_payload
from backoffice.campaign.models import Email, Reservation
from backoffice.campaign.services.emails import email_publish, reservation_confirmation_resend


class ReservationEmailsInline(ReadOnlyTabularInline):
    """A reservation's emails, newest first; the outbox writes them, nobody edits them."""

    model = Email
    fk_name = "reservation"
    fields = ["created_at", "kind", "to", "status", "attempts", "sent_at", "last_error", "message_link"]
    verbose_name_plural = "emails"

    def has_view_permission(self, request, obj=None) -> bool:
        # Shown, never posted: leaving it out of a save keeps the reservation form's POST (and a
        # refused save shown again) exactly what it was without the outbox.
        return request.method in {"GET", "HEAD"} and super().has_view_permission(request, obj)

    @admin.display(description="message")
    def message_link(self, email: Email) -> str:
        return format_html('<a href="{}">View</a>', reverse("admin:campaign_email_message", args=[email.pk]))


@admin.action(description="Resend confirmation to the selected reservations", permissions=["change"])
def resend_confirmation(modeladmin, request: HttpRequest, queryset: QuerySet[Reservation]) -> None:
    queued, refused = _resend(queryset.select_related("screening__film", "screening__cinema"))
    if queued:
        modeladmin.message_user(request, f"Confirmation queued for {queued} reservation(s).", messages.SUCCESS)
    for reason in refused:
        modeladmin.message_user(request, reason, messages.WARNING)


def _resend(reservations) -> tuple[int, list[str]]:
    queued, refused = 0, []
    for reservation in reservations:
        try:
            reservation_confirmation_resend(reservation=reservation)
        except ValidationError as error:
            refused.extend(error.messages)
        else:
            queued += 1
    return queued, refused


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "reservation", "status", "attempts", "sent_at", "next_try"]
    list_filter = ["status", "kind", "created_at"]
    list_select_related = ["reservation"]
    search_fields = ["to", "=reservation__reference", "=message_id"]
    date_hierarchy = "created_at"
    fields = [
        "kind",
        "to",
        "reservation",
        "screening",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "message_id",
        "created_at",
        "message_link",
    ]
    readonly_fields = fields
    actions = ["send_again"]
    change_list_template = "admin/campaign/email/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        # When the next try may start says something only of a message waiting for one.
        if obj is not None and obj.waiting_for_retry:
            return self.fields
        return [name for name in self.fields if name != "next_attempt_at"]

    @admin.display(description="next try", ordering="next_attempt_at")
    def next_try(self, email: Email):
        return email.next_attempt_at if email.waiting_for_retry else None

    @admin.display(description="message")
    def message_link(self, email: Email) -> str:
        return format_html(
            '<a href="{}">View the message</a>', reverse("admin:campaign_email_message", args=[email.pk])
        )

    @admin.action(description="Send the selected emails again now", permissions=["change"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Email]) -> None:
        """Put failed (or sent) messages back in the queue with a fresh count of tries."""
        with transaction.atomic():
            pks = list(queryset.values_list("pk", flat=True))
            Email.objects.filter(pk__in=pks).update(
                status=Email.Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), last_error=""
            )
            for pk in pks:
                transaction.on_commit(lambda pk=pk: email_publish(pk))
        self.message_user(request, f"{len(pks)} email(s) queued to be sent again.", messages.SUCCESS)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("preview/<str:kind>/", view(self.preview_view), name="campaign_email_preview"),
            path("<path:object_id>/message/", view(self.message_view), name="campaign_email_message"),
            path("resend/<path:reservation_pk>/", view(self.resend_view), name="campaign_email_resend"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        kinds = [(kind.label, reverse("admin:campaign_email_preview", args=[kind.value])) for kind in Email.Kind]
        return super().changelist_view(request, {**(extra_context or {}), "preview_links": kinds})

    def preview_view(self, request: HttpRequest, kind: str) -> HttpResponse:
        """A template shown with sample data, as a customer (or cinema) would see it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if kind not in Email.Kind.values:
            return HttpResponse(f"There is no email template called {kind!r}.", status=404, content_type="text/plain")
        return _standalone(preview_html(kind, sample_payload(kind)))

    def message_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """One outbox row's message, built from what it was queued with (what the file backend wrote)."""
        email = get_object_or_404(Email, pk=unquote(object_id))
        if not self.has_view_permission(request, email):
            raise PermissionDenied
        return _standalone(preview_html(email.kind, email.payload))

    def resend_view(self, request: HttpRequest, reservation_pk: str) -> HttpResponse:
        """The "Resend confirmation" button of a reservation's page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("campaign.change_reservation"):
            raise PermissionDenied
        related = Reservation.objects.select_related("screening__film", "screening__cinema")
        reservation = get_object_or_404(related, pk=unquote(reservation_pk))
        queued, refused = _resend([reservation])
        if queued:
            self.message_user(request, f"Confirmation queued for {reservation.email}.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:campaign_reservation_change", args=[reservation.pk]))


def _standalone(html: str) -> HttpResponse:
    response = HttpResponse(html)
    # The message's own markup, shown as-is: it must not run scripts or load anything but its images.
    response["Content-Security-Policy"] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return response
