"""Background runs in the admin: a spreadsheet run's page, and the list of every running and recent run.

A spreadsheet run (``DataRun``) is started from a list's Import or Export (admin/data_exchange.py),
or from withdrawing many access codes or deleting a big batch (kinds *block* and *delete*);
its page shows progress (the shared run page and run.js, as a code generation run's), Cancel,
an import's check and Confirm, and an export's file. ``/admin/runs/`` lists both kinds of run.
"""

from itertools import chain

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from backoffice.campaign.admin import background_runs
from backoffice.campaign.admin.background_runs import RunAdminMixin, RunDownload
from backoffice.campaign.admin.data_exchange import data_label
from backoffice.campaign.models import AccessCodeBatch, DataRun
from backoffice.campaign.services.data_runs import (
    CODE_RUN_KINDS,
    data_run_cancel,
    data_run_confirm,
    spreadsheet_format,
)

RECENT = 50


def run_state(run) -> str:
    if isinstance(run, DataRun) and run.kind == DataRun.Kind.IMPORT and run.phase == DataRun.Phase.PREVIEW:
        if run.status == DataRun.Status.COMPLETED:
            return "Checked, waiting for confirm" if not run.outcome.get("error_count") else "Checked: errors found"
        if not run.is_stale:
            return f"{run.get_status_display()} (checking)"
    return background_runs.run_state(run)


@admin.register(DataRun)
class DataRunAdmin(RunAdminMixin, admin.ModelAdmin):
    run_views = ("status", "cancel", "confirm", "result")
    cancel_run = staticmethod(data_run_cancel)
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

    def may_cancel(self, request: HttpRequest, run: DataRun) -> bool:
        return self.may_work_on(request, run)

    def may_download(self, request: HttpRequest, run: DataRun) -> bool:
        return run.kind == DataRun.Kind.EXPORT and self.may_work_on(request, run)

    def run_state(self, run: DataRun) -> str:
        return run_state(run)

    def run_download(self, run: DataRun) -> RunDownload:
        file_format = spreadsheet_format(run.parameters.get("format", "csv"))
        return RunDownload(
            file_name=run.parameters.get("file_name", "the file"),
            content_type=file_format.get_content_type(),
            model=run.content_type.model_class(),
            file_format=file_format.get_extension(),
            rows=run.done,
            when_lost=f"Run files are deleted {settings.DATA_RUN_FILE_RETENTION_DAYS} days after the run ends, "
            "or this one was lost. Export the list again.",
        )

    def run_context(self, request: HttpRequest, run: DataRun) -> dict:
        checked = (
            run.kind == DataRun.Kind.IMPORT
            and run.phase == DataRun.Phase.PREVIEW
            and run.status == DataRun.Status.COMPLETED
        )
        return {
            **super().run_context(request, run),
            "unit": "codes" if run.kind in CODE_RUN_KINDS else "rows",
            "outcome": run.outcome if run.kind == DataRun.Kind.IMPORT else None,
            "confirm_url": self.run_url("confirm", run)
            if checked and self.may_work_on(request, run) and not run.outcome.get("error_count")
            else None,
            "cancel_help": "Stops after the chunk of codes in progress; the codes done so far stay so."
            if run.kind in CODE_RUN_KINDS
            else "Stops at the next batch of rows. An import keeps nothing; an export makes no file.",
        }

    @admin.display(description="data", ordering="content_type")
    def data(self, run: DataRun) -> str:
        return data_label(run.content_type)

    @admin.display(description="status", ordering="status")
    def state(self, run: DataRun) -> str:
        return run_state(run)

    @admin.display(description="file")
    def file_name(self, run: DataRun) -> str:
        return run.parameters.get("file_name", "")

    def confirm_view(self, request: HttpRequest, object_id: str) -> HttpResponseRedirect:
        run = self.get_run(request, object_id)
        if not self.may_work_on(request, run):
            raise PermissionDenied
        with transaction.atomic():
            confirmed = data_run_confirm(run)
        if confirmed:
            self.message_user(request, f"Importing the file as run {run.pk}; you may leave.", messages.SUCCESS)
        else:
            self.message_user(request, "This run has no checked file waiting for confirm.", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:campaign_datarun_change", args=[run.pk]))


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
