"""The admin page of a code generation run: live progress, Cancel, and the result file.

The run itself is in services/code_runs.py; these views read and flag its ``AccessCodeBatch`` row.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from backoffice.campaign.models import UNFINISHED_RUN, AccessCode, AccessCodeBatch, DataExchangeLog, private_storage
from backoffice.campaign.resources.formats import CSV
from backoffice.campaign.services.code_runs import code_run_cancel

UNFINISHED = set(UNFINISHED_RUN)


class RunAdminMixin:
    """The page of a background run of either kind (run.js polls its status; Cancel; the result
    file): one set of URLs, ``admin:campaign_<model>_<view>``, for the views the admin names."""

    change_form_template = "admin/campaign/run_change_form.html"
    run_views = ("status", "cancel", "result")
    #: Views that change the run: POST only.
    posted_views = ("cancel", "confirm")

    def get_urls(self):
        view = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        urls = []
        for action in self.run_views:
            handler = getattr(self, f"{action}_view")
            if action in self.posted_views:
                handler = require_POST(handler)
            urls.append(path(f"<path:object_id>/{action}/", view(handler), name=f"{name}_{action}"))
        return [*urls, *super().get_urls()]


class CodeRunAdminMixin(RunAdminMixin):
    def get_readonly_fields(self, request, obj=None):
        # The file is handed out by result_view only: private storage has no URL to link to.
        return [name for name in super().get_readonly_fields(request, obj) if name != "result_file"]

    def _batch(self, request: HttpRequest, object_id: str) -> AccessCodeBatch:
        batch = self.get_object(request, unquote(object_id))
        if batch is None:
            raise Http404(f"No access code batch {object_id!r}.")
        return batch

    def may_cancel(self, request: HttpRequest) -> bool:
        # Whoever may start a run may stop one.
        return self.admin_site.get_model_admin(AccessCode).has_add_permission(request)

    def status_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = self._batch(request, object_id)
        return run_status_response(
            batch, status_display=self.state(batch), done=batch.created_count, total=batch.requested_count
        )

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponseRedirect:
        if not self.may_cancel(request):
            raise PermissionDenied
        batch = self._batch(request, object_id)
        if code_run_cancel(batch):
            self.message_user(request, f"Batch {batch.pk} stops at its next batch boundary.", messages.SUCCESS)
        else:
            self.message_user(request, f"Batch {batch.pk} has already finished; nothing to cancel.", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:campaign_accesscodebatch_change", args=[batch.pk]))

    def result_view(self, request: HttpRequest, object_id: str) -> FileResponse | HttpResponseRedirect:
        if not self.has_download_permission(request):
            raise PermissionDenied
        batch = self._batch(request, object_id)
        if not batch.result_file or batch.status in UNFINISHED:
            raise Http404(f"Batch {batch.pk} has no finished CSV file; download its codes with “Download CSV”.")
        file = run_file(batch.result_file.name)
        if file is None:
            self.message_user(
                request,
                f"The file of batch {batch.pk} is no longer on the server (lost or deleted). Its codes are in the "
                "database: download them again with “Download CSV” in the batch list.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:campaign_accesscodebatch_change", args=[batch.pk]))
        file_name = f"access-codes-batch-{batch.pk}.csv"
        # Logged as every copy of a batch's codes is (who, when, which batch: the file name).
        self.admin_site.get_model_admin(AccessCode).log_data_exchange(
            request,
            action=DataExchangeLog.Action.EXPORT,
            file_format=CSV(),
            file_name=file_name,
            rows=batch.created_count,
        )
        response = FileResponse(file, as_attachment=True, filename=file_name, content_type="text/csv")
        response["Cache-Control"] = "no-store"  # the codes are secrets
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            unfinished = obj.status in UNFINISHED
            context["run"] = {
                "status_url": reverse("admin:campaign_accesscodebatch_status", args=[obj.pk]),
                "unfinished": unfinished,
                "unit": "codes",
                "done": obj.created_count,
                "total": obj.requested_count,
                "status_display": self.state(obj),
                "cancel_url": reverse("admin:campaign_accesscodebatch_cancel", args=[obj.pk])
                if unfinished and self.may_cancel(request)
                else None,
                "cancel_help": "Stops after the batch of codes in progress; the codes made stay, "
                "and the CSV holds exactly them.",
                "result_url": reverse("admin:campaign_accesscodebatch_result", args=[obj.pk])
                if not unfinished and self.has_download_permission(request) and run_file_exists(obj.result_file.name)
                else None,
                "result_label": "Download the run's CSV",
            }
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


def run_file(name: str) -> File | None:
    """A run's file from private storage, or None when it is gone: deleted after its retention days,
    or lost with a disk or a server that did not share it. A page says so; a missing file is no 500."""
    try:
        return private_storage().open(name, "rb")
    except FileNotFoundError:
        return None


def run_file_exists(name: str) -> bool:
    return bool(name) and private_storage().exists(name)


def run_status_response(run, *, status_display: str, done: int, total: int) -> JsonResponse:
    """What run.js polls, for either kind of run."""
    return JsonResponse(
        {
            "status": run.status,
            "status_display": status_display,
            "done": done,
            "total": total,
            "finished": run.status not in UNFINISHED,
            "cancel_requested": run.cancel_requested,
        },
        headers={"Cache-Control": "no-store"},
    )
