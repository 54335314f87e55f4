"""Background runs in the admin: a spreadsheet run's page, and the list of every running and recent run.

A spreadsheet run (``DataRun``) is started from a list's Import or Export (admin/data_exchange.py),
or from withdrawing many access codes or deleting a big batch (kinds *block* and *delete*);
its page shows progress (the shared run page and run.js, as a code generation run's), Cancel,
an import's check and Confirm, and an export's file. ``/admin/runs/`` lists both kinds of run.
"""

from itertools import chain

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.admin.batches import (
    UNFINISHED,
    RunAdminMixin,
    run_file,
    run_file_exists,
    run_status_response,
)
from backoffice.campaign.admin.data_exchange import data_label, log_data_exchange
from backoffice.campaign.models import AccessCodeBatch, DataExchangeLog, DataRun
from backoffice.campaign.services.data_runs import (
    CODE_RUN_KINDS,
    data_run_cancel,
    data_run_confirm,
    spreadsheet_format,
)

RECENT = 50


def run_state(run) -> str:
    if run.is_stale:
        return f"Running, stale: no progress since {timezone.localtime(run.updated_at):%Y-%m-%d %H:%M}"
    if isinstance(run, DataRun) and run.kind == DataRun.Kind.IMPORT and run.phase == DataRun.Phase.PREVIEW:
        if run.status == DataRun.Status.COMPLETED:
            return "Checked, waiting for confirm" if not run.outcome.get("error_count") else "Checked: errors found"
        return f"{run.get_status_display()} (checking)"
    return run.get_status_display()


@admin.register(DataRun)
class DataRunAdmin(RunAdminMixin, admin.ModelAdmin):
    run_views = ("status", "cancel", "confirm", "result")
    list_display = ["pk", "created_at", "kind", "data", "state", "done", "total", "created_by"]
    list_filter = ["kind", "status", "content_type"]
    list_select_related = ["content_type", "created_by"]
    fields = ["kind", "data", "created_by", "created_at", "finished_at", "file_name"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False  # started from a list's Import or Export

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        # Whoever may import or export the run's list may follow its run.
        if super().has_view_permission(request, obj):
            return True
        return obj is not None and self.may_work_on(request, obj)

    def may_work_on(self, request: HttpRequest, run: DataRun) -> bool:
        """Import runs: the list's import permission; export runs: its export permission."""
        model_admin = self.admin_site.get_model_admin(run.content_type.model_class())
        if run.kind == DataRun.Kind.BLOCK:  # withdrawing or restoring codes
            return model_admin.has_change_permission(request)
        if run.kind == DataRun.Kind.DELETE:  # deleting a batch of codes
            return model_admin.has_delete_permission(request)
        if run.kind == DataRun.Kind.IMPORT:
            return model_admin.has_import_permission(request)
        return model_admin.has_export_permission(request) and model_admin.has_view_permission(request)

    @admin.display(description="data", ordering="content_type")
    def data(self, run: DataRun) -> str:
        return data_label(run.content_type)

    @admin.display(description="status", ordering="status")
    def state(self, run: DataRun) -> str:
        return run_state(run)

    @admin.display(description="file")
    def file_name(self, run: DataRun) -> str:
        return run.parameters.get("file_name", "")

    def _run(self, request: HttpRequest, object_id: str) -> DataRun:
        run = self.get_object(request, unquote(object_id))
        if run is None:
            raise Http404(f"No spreadsheet run {object_id!r}.")
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return run

    def status_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        run = self._run(request, object_id)
        return run_status_response(run, status_display=run_state(run), done=run.done, total=run.total)

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponseRedirect:
        run = self._run(request, object_id)
        if not self.may_work_on(request, run):
            raise PermissionDenied
        if data_run_cancel(run):
            self.message_user(request, f"Run {run.pk} stops at its next batch of rows.", messages.SUCCESS)
        else:
            self.message_user(request, f"Run {run.pk} has already finished; nothing to cancel.", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:campaign_datarun_change", args=[run.pk]))

    def confirm_view(self, request: HttpRequest, object_id: str) -> HttpResponseRedirect:
        run = self._run(request, object_id)
        if not self.may_work_on(request, run):
            raise PermissionDenied
        with transaction.atomic():
            confirmed = data_run_confirm(run)
        if confirmed:
            self.message_user(request, f"Importing the file as run {run.pk}; you may leave.", messages.SUCCESS)
        else:
            self.message_user(request, "This run has no checked file waiting for confirm.", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:campaign_datarun_change", args=[run.pk]))

    def result_view(self, request: HttpRequest, object_id: str) -> FileResponse | HttpResponseRedirect:
        run = self._run(request, object_id)
        if run.kind != DataRun.Kind.EXPORT or not self.may_work_on(request, run):
            raise PermissionDenied
        if run.status != DataRun.Status.COMPLETED or not run.result_file:
            raise Http404(
                f"Run {run.pk} has no file to download: it is unfinished, or the file was removed "
                "(the run's page says when and why)."
            )
        file = run_file(run.result_file.name)
        if file is None:
            self.message_user(
                request,
                f"The file of run {run.pk} is no longer on the server (run files are deleted "
                f"{settings.DATA_RUN_FILE_RETENTION_DAYS} days after the run ends, or this one was lost). "
                "Export the list again.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:campaign_datarun_change", args=[run.pk]))
        file_format = spreadsheet_format(run.parameters["format"])
        file_name = run.parameters["file_name"]
        # Logged as every export is: who took which rows, when.
        log_data_exchange(
            request,
            action=DataExchangeLog.Action.EXPORT,
            model=run.content_type.model_class(),
            file_format=file_format.get_extension(),
            file_name=file_name,
            rows=run.done,
        )
        response = FileResponse(
            file, as_attachment=True, filename=file_name, content_type=file_format.get_content_type()
        )
        response["Cache-Control"] = "no-store"  # may hold customers' personal data
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            unfinished = obj.status in UNFINISHED
            may_work = self.may_work_on(request, obj)
            checked = (
                obj.kind == DataRun.Kind.IMPORT
                and obj.phase == DataRun.Phase.PREVIEW
                and obj.status == DataRun.Status.COMPLETED
            )
            context["run"] = {
                "status_url": reverse("admin:campaign_datarun_status", args=[obj.pk]),
                "unfinished": unfinished,
                "unit": "codes" if obj.kind in CODE_RUN_KINDS else "rows",
                "done": obj.done,
                "total": obj.total,
                "status_display": run_state(obj),
                "message": obj.message,
                "outcome": obj.outcome if obj.kind == DataRun.Kind.IMPORT else None,
                "confirm_url": reverse("admin:campaign_datarun_confirm", args=[obj.pk])
                if checked and may_work and not obj.outcome.get("error_count")
                else None,
                "cancel_url": reverse("admin:campaign_datarun_cancel", args=[obj.pk])
                if unfinished and may_work
                else None,
                "cancel_help": "Stops after the chunk of codes in progress; the codes done so far stay so."
                if obj.kind in CODE_RUN_KINDS
                else "Stops at the next batch of rows. An import keeps nothing; an export makes no file.",
                "result_url": reverse("admin:campaign_datarun_result", args=[obj.pk])
                if obj.kind == DataRun.Kind.EXPORT
                and obj.status == DataRun.Status.COMPLETED
                and may_work
                and run_file_exists(obj.result_file.name)
                else None,
                "result_label": f"Download {obj.parameters.get('file_name', 'the file')}",
            }
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


def runs_view(request: HttpRequest, site: admin.AdminSite) -> TemplateResponse:
    """Running and recent background work of both kinds, newest first, each linked to its page."""
    lists = []
    batch_admin = site.get_model_admin(AccessCodeBatch)
    if batch_admin.has_view_permission(request):
        batches = AccessCodeBatch.objects.select_related("created_by", "film")[:RECENT]
        lists.append(
            {
                "created_at": b.created_at,
                "what": f"Generate {b.requested_count:,} access codes",
                "who": b.created_by or b.get_source_display(),
                "state": run_state(b),
                "done": b.created_count,
                "total": b.requested_count,
                "url": reverse("admin:campaign_accesscodebatch_change", args=[b.pk]),
            }
            for b in batches
        )
    run_admin = site.get_model_admin(DataRun)
    runs = [
        run
        for run in DataRun.objects.select_related("content_type", "created_by")[:RECENT]
        if run_admin.has_view_permission(request, run)
    ]
    lists.append(
        {
            "created_at": run.created_at,
            "what": f"{run.get_kind_display()}: {run.total:,}"
            if run.kind in CODE_RUN_KINDS
            else f"{run.get_kind_display()} of {data_label(run.content_type).lower()}",
            "who": run.created_by,
            "state": run_state(run),
            "done": run.done,
            "total": run.total,
            "url": reverse("admin:campaign_datarun_change", args=[run.pk]),
        }
        for run in runs
    )
    rows = sorted(chain.from_iterable(lists), key=lambda row: row["created_at"], reverse=True)[:RECENT]
    context = {**site.each_context(request), "title": "Running and recent runs", "rows": rows}
    return TemplateResponse(request, "admin/campaign/runs.html", context)
