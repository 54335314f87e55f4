from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ExportActionMixin

from backoffice.campaign.admin.background_runs import run_state
from backoffice.campaign.admin.batches import CodeRunAdminMixin
from backoffice.campaign.admin.code_blocks import block_view
from backoffice.campaign.admin.data_exchange import LargeTableExportMixin, SpreadsheetExportMixin
from backoffice.campaign.admin.history import HistoryAdmin
from backoffice.campaign.admin.lists import CappedCountPaginator, FixedChoicesFilter
from backoffice.campaign.codes import access_code_normalise
from backoffice.campaign.models import (
    UNFINISHED_RUN,
    AccessCode,
    AccessCodeBatch,
    DataExchangeLog,
    DataRun,
    Film,
    Reservation,
)
from backoffice.campaign.resources.access_codes import AccessCodeBatchResource, AccessCodeCsv, AccessCodeResource
from backoffice.campaign.resources.formats import CSV
from backoffice.campaign.services.access_codes import (
    MAX_COUNT,
    MAX_USAGES,
    access_code_batch_csv,
    access_codes_film_warning,
)
from backoffice.campaign.services.code_deletions import code_batch_delete, code_batch_delete_refusal
from backoffice.campaign.services.code_runs import code_run_request

# The run happens on a worker (services/code_runs.py), so the admin takes what the command takes.
ADMIN_MAX_COUNT = MAX_COUNT


class GenerateAccessCodesForm(forms.Form):
    count = forms.IntegerField(
        label="Number of codes",
        min_value=1,
        max_value=ADMIN_MAX_COUNT,
        initial=1000,
        help_text=f"1 to {ADMIN_MAX_COUNT:,}.",
        error_messages={
            "min_value": "Enter at least 1 code.",
            "max_value": f"At most {ADMIN_MAX_COUNT:,} codes at a time; start another run for more.",
        },
    )
    film = forms.ModelChoiceField(
        queryset=Film.objects.order_by("name"),
        required=False,
        empty_label="Any film",
        help_text="Leave on “Any film” for codes valid for every film.",
    )
    max_usages = forms.IntegerField(
        label="Max usages",
        min_value=1,
        max_value=MAX_USAGES,
        initial=1,
        help_text="How many reservations each code allows.",
    )
    # The film a staff member was warned about and chose to generate for anyway.
    confirmed_film = forms.IntegerField(required=False, widget=forms.HiddenInput)


def may_view_access_codes(request: HttpRequest) -> bool:
    return admin.site.get_model_admin(AccessCode).has_view_permission(request)


class AccessCodeValuesMixin:
    """For a ModelAdmin with an ``access_code`` field: its values (secrets) are shown only to
    staff who may view access codes. Others see and change the rest, and type the customer's
    code when they book. (Searching by code is refused to them in the admin's own
    ``get_search_results``, where code-shaped terms are matched.)"""

    def get_list_display(self, request):
        list_display = super().get_list_display(request)
        return list_display if may_view_access_codes(request) else [f for f in list_display if f != "access_code"]

    def get_fieldsets(self, request, obj=None):
        # The form is built from the fieldsets, so a field left out here is neither shown nor changed.
        # A new booking keeps it: the code the customer reads out is typed in (admin/typed_codes.py).
        fieldsets = super().get_fieldsets(request, obj)
        if may_view_access_codes(request) or obj is None:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "access_code"]})
            for name, options in fieldsets
        ]


def csv_download(request: HttpRequest, batch: AccessCodeBatch) -> StreamingHttpResponse:
    """The batch's codes, read back from the database and streamed as CSV: the download starts
    at once and memory stays flat however many codes the batch holds. Logged like every export
    (who, when, which batch: the file name), so no copy of the codes leaves unrecorded."""
    file_name = f"access-codes-batch-{batch.pk}.csv"
    admin.site.get_model_admin(AccessCode).log_data_exchange(
        request,
        action=DataExchangeLog.Action.EXPORT,
        file_format=CSV(),
        file_name=file_name,
        rows=batch.created_count,
    )
    response = StreamingHttpResponse(access_code_batch_csv(batch=batch), content_type=AccessCodeCsv.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "no-store"  # the codes are secrets
    return response


class WithdrawnCodeFilter(admin.SimpleListFilter):
    """Active bookings made with withdrawn codes, of one batch or of any: the ones to review."""

    title = "withdrawn access code"
    parameter_name = "withdrawn_code"

    def lookups(self, request, model_admin):
        return [("any", "Active, with a withdrawn code")]

    def choices(self, changelist):
        yield from super().choices(changelist)
        value = self.value()
        if value and value != "any":  # a batch's number, from its page
            yield {"selected": True, "query_string": changelist.get_query_string(), "display": f"Of batch {value}"}

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        withdrawn = queryset.filter(quantity__gt=0, access_code__blocked_at__isnull=False)
        if value == "any":
            return withdrawn
        if not value.isdigit():
            raise IncorrectLookupParameters(f"Unknown batch: {value}")
        return withdrawn.filter(access_code__batch_id=int(value))


class MaxUsagesFilter(FixedChoicesFilter):
    title = "max usages"
    parameter_name = "max_usages"
    options = {str(n): (str(n), Q(max_usages=n)) for n in range(1, 5)} | {"5": ("5 or more", Q(max_usages__gte=5))}


class WithdrawnFilter(FixedChoicesFilter):
    title = "withdrawn"
    parameter_name = "withdrawn"
    options = {"yes": ("Yes", Q(blocked_at__isnull=False)), "no": ("No", Q(blocked_at__isnull=True))}


@admin.register(AccessCode)
class AccessCodeAdmin(LargeTableExportMixin, ExportActionMixin, admin.ModelAdmin):
    resource_classes = [AccessCodeResource]
    change_list_template = "admin/campaign/accesscode/change_list.html"
    list_display = ["value", "max_usages", "valid_for", "batch", "created_at", "blocked_at"]
    list_filter = ["valid_for", MaxUsagesFilter, WithdrawnFilter]
    list_select_related = ["valid_for", "batch"]
    search_fields = ["value"]
    autocomplete_fields = ["valid_for"]
    readonly_fields = ["created_at", "batch", "blocked_at", "blocked_reason"]
    # Counting a million codes on every page view (and on the picker's first page) buys nothing.
    show_full_result_count = False
    paginator = CappedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # counts per choice would read every code for each filter

    def get_urls(self):
        generate = path(
            "generate/", self.admin_site.admin_view(self.generate_view), name="campaign_accesscode_generate"
        )
        block = path("block/", self.admin_site.admin_view(partial(block_view, self)), name="campaign_accesscode_block")
        return [generate, block, *super().get_urls()]

    def has_export_permission(self, request) -> bool:
        # django-import-export lets any staff member export unless told otherwise; codes are secrets.
        return super().has_export_permission(request) and self.has_view_permission(request)

    def get_search_results(self, request, queryset, search_term):
        # Read as typed (lower case, spaces, O for 0): the start of a code, matched as a prefix
        # through the unique index; a substring scan would read every code.
        term = access_code_normalise(search_term)
        if not term:
            return queryset, False
        return queryset.filter(value__startswith=term), False

    def generate_view(self, request: HttpRequest):
        """Generate access codes: ask for count, film and max usages, then hand over the CSV."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = GenerateAccessCodesForm(request.POST if request.method == "POST" else None)
        submit_label = "Generate"
        film = form.cleaned_data["film"] if form.is_valid() else None
        if (
            film is not None
            and form.cleaned_data["confirmed_film"] != film.pk
            and (warning := access_codes_film_warning(film))
        ):
            # Asked once per film: the same form again, the warning above it, generating on the next submit.
            messages.warning(request, f"{warning} Generate them anyway, or choose another film.")
            form = GenerateAccessCodesForm({**request.POST.dict(), "confirmed_film": film.pk})
            submit_label = "Generate anyway"
        elif form.is_valid():
            # The batch row is the run's record; the worker gets it once this commits.
            with transaction.atomic():
                batch = code_run_request(
                    count=form.cleaned_data["count"],
                    film=form.cleaned_data["film"],
                    max_usages=form.cleaned_data["max_usages"],
                    created_by=request.user,
                )
                self.log_addition(request, batch, f"Asked for {batch.requested_count:,} access codes.")
            self.message_user(
                request,
                f"Generating {batch.requested_count:,} access codes as batch {batch.pk}. "
                "You may leave this page; the CSV is downloadable here once the run finishes.",
                messages.SUCCESS,
            )
            if self.admin_site.get_model_admin(AccessCodeBatch).has_view_permission(request):
                return HttpResponseRedirect(reverse("admin:campaign_accesscodebatch_change", args=[batch.pk]))
            return HttpResponseRedirect(reverse("admin:campaign_accesscode_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Generate access codes",
            "opts": self.opts,
            "form": form,
            "submit_label": submit_label,
            "max_count": ADMIN_MAX_COUNT,
        }
        return TemplateResponse(request, "admin/campaign/accesscode/generate.html", context)


@admin.register(AccessCodeBatch)
class AccessCodeBatchAdmin(CodeRunAdminMixin, SpreadsheetExportMixin, HistoryAdmin):
    resource_classes = [AccessCodeBatchResource]
    list_display = [
        "pk",
        "created_at",
        "state",
        "download",
        "requested_count",
        "created_count",
        "film",
        "max_usages",
        "source",
        "created_by",
    ]
    list_filter = ["status", "source", "film"]
    list_select_related = ["film", "created_by"]
    readonly_fields = [*(f.name for f in AccessCodeBatch._meta.fields), "download"]
    actions = ["download_csv"]
    change_form_template = "admin/campaign/accesscodebatch/change_form.html"
    #: Bookings made with the batch's withdrawn codes named on its page; the link lists them all.
    WITHDRAWN_BOOKINGS_SHOWN = 20

    def get_actions(self, request):
        # Deleting a batch is one batch at a time, from its page: each is checked and may need a run.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_deleted_objects(self, objs, request):
        # Counts, never the codes (secrets): the page is the same size for ten codes or ten million.
        batch = objs[0]
        deleted = [f"Access code batch: {batch}", f"its {batch.created_count:,} access codes, none of them used"]
        model_count = {"access code batches": 1, "access codes": batch.created_count}
        refusal = code_batch_delete_refusal(batch)
        perms_needed = set() if request.user.has_perm("campaign.delete_accesscode") else {"access code"}
        return deleted, model_count, perms_needed, [refusal] if refusal else []

    def delete_model(self, request, obj) -> None:
        try:
            with transaction.atomic():
                run = code_batch_delete(batch=obj, created_by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        if run is not None:
            self.message_user(
                request,
                f"Deleting batch {obj.pk} and its {obj.created_count:,} codes in the background; you may leave.",
                messages.SUCCESS,
            )

    def response_delete(self, request, obj_display, obj_id):
        # Still there: refused (the message says why), or being deleted by a run (follow it).
        if AccessCodeBatch.objects.filter(pk=obj_id).exists():
            run = DataRun.objects.filter(kind=DataRun.Kind.DELETE, parameters__batch=obj_id).order_by("-pk").first()
            if run is not None and run.status in UNFINISHED_RUN:
                return HttpResponseRedirect(reverse("admin:campaign_datarun_change", args=[run.pk]))
            return HttpResponseRedirect(reverse("admin:campaign_accesscodebatch_change", args=[obj_id]))
        return super().response_delete(request, obj_display, obj_id)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and may_view_access_codes(request):
            context["withdrawn"] = self.withdrawn_context(request, obj)
        # Every field is read-only, so there is nothing to save; Delete is offered only to staff
        # who may delete and only while the batch can be, and the page says why when it cannot.
        context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        if obj is not None and self.has_delete_permission(request, obj):
            context["delete_refusal"] = code_batch_delete_refusal(obj)
            context["show_delete"] = not context["delete_refusal"]
        else:
            context["show_delete"] = False
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def withdrawn_context(self, request, batch: AccessCodeBatch) -> dict:
        """The batch's withdrawn codes, and the bookings made with them for staff to review (bounded)."""
        codes = AccessCode.objects.filter(batch=batch, blocked_at__isnull=False)
        bookings = Reservation.objects.filter(access_code__in=codes, quantity__gt=0)
        code_admin = self.admin_site.get_model_admin(AccessCode)
        return {
            "codes": codes.count(),
            "bookings": bookings.count(),
            "shown": list(
                bookings.select_related("access_code", "screening__film", "screening__cinema").order_by(
                    "-created_at", "-pk"
                )[: self.WITHDRAWN_BOOKINGS_SHOWN]
            ),
            "list_url": reverse("admin:campaign_reservation_changelist")
            + f"?{WithdrawnCodeFilter.parameter_name}={batch.pk}",
            "block_url": reverse("admin:campaign_accesscode_block") + f"?batch={batch.pk}"
            if code_admin.has_change_permission(request)
            else None,
            "restore_url": reverse("admin:campaign_accesscode_block") + f"?batch={batch.pk}&action=unblock"
            if code_admin.has_change_permission(request)
            else None,
        }

    def has_add_permission(self, request) -> bool:
        return False  # batches are made by generating codes, never typed in

    def get_urls(self):
        download = path(
            "<path:object_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name="campaign_accesscodebatch_download",
        )
        return [download, *super().get_urls()]

    def has_export_permission(self, request) -> bool:
        return super().has_export_permission(request) and self.has_view_permission(request)

    def get_list_display(self, request):
        list_display = super().get_list_display(request)
        if self.has_download_permission(request):
            return list_display
        return [name for name in list_display if name != "download"]

    def has_download_permission(self, request) -> bool:
        # The file holds the codes themselves: whoever may not see codes may not download them.
        return may_view_access_codes(request) and self.has_export_permission(request)

    @admin.display(description="status", ordering="status")
    def state(self, batch: AccessCodeBatch) -> str:
        return run_state(batch)

    @admin.display(description="CSV")
    def download(self, batch: AccessCodeBatch) -> str:
        if not batch.pk or not batch.created_count:
            return "-"
        url = reverse("admin:campaign_accesscodebatch_download", args=[batch.pk])
        return format_html('<a href="{}">Download CSV</a>', url)

    def download_view(self, request: HttpRequest, object_id: str):
        if not self.has_download_permission(request):
            raise PermissionDenied
        # get_object answers None for an id that is not a number as well as for a missing batch.
        batch = self.get_object(request, unquote(object_id))
        if batch is None:
            raise Http404(f"No access code batch {object_id!r}.")
        return csv_download(request, batch)

    @admin.action(description="Download CSV of the selected batch")
    def download_csv(self, request, queryset):
        if not self.has_download_permission(request):
            raise PermissionDenied
        batches = list(queryset[:2])
        if len(batches) != 1:
            self.message_user(request, "Select exactly one batch to download its codes.", messages.WARNING)
            return None
        return csv_download(request, batches[0])
