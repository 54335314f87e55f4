"""The admin page of a background run, of either kind: live progress, Cancel and the result file.

One mixin serves code generation (``AccessCodeBatch``, admin/batches.py) and spreadsheet runs
(``DataRun``, admin/runs.py). Each admin says only what differs: who may cancel or download,
how its run is cancelled, and what its file is called and holds (``run_download``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from backoffice.campaign.admin.data_exchange import log_data_exchange
from backoffice.campaign.models import UNFINISHED_RUN, BackgroundRun, DataExchangeLog, private_storage

UNFINISHED = set(UNFINISHED_RUN)


@dataclass(frozen=True)
class RunDownload:
    """A run's file as staff download it, and what the download is logged as."""

    file_name: str
    content_type: str
    #: The list whose rows the file holds, and its format's extension: the export log's entry.
    model: type[models.Model]
    file_format: str
    rows: int
    #: What to do when the file is no longer on the server.
    when_lost: str


def run_state(run: BackgroundRun) -> str:
    if run.is_stale:
        return f"Running, stale: no progress since {timezone.localtime(run.updated_at):%Y-%m-%d %H:%M}"
    return run.get_status_display()


def run_file(name: str) -> File | None:
    """A run's file from private storage, or None when it is gone: deleted after its retention days,
    or lost with a disk or a server that did not share it. A page says so; a missing file is no 500."""
    try:
        return private_storage().open(name, "rb")
    except FileNotFoundError:
        return None


def run_file_exists(name: str) -> bool:
    return bool(name) and private_storage().exists(name)


class RunAdminMixin:
    """Status (what run.js polls), Cancel and the result file of a run, on one set of URLs,
    ``admin:campaign_<model>_<view>``, for the views the admin names in ``run_views``."""

    change_form_template = "admin/campaign/run_change_form.html"
    run_views = ("status", "cancel", "result")
    #: Views that change the run: POST only.
    posted_views = ("cancel", "confirm")
    #: The kind's service that asks a run to stop; True when the run was still unfinished.
    cancel_run: Callable[[BackgroundRun], bool]
    #: The run's unit of progress, and what Cancel keeps.
    unit = "rows"
    cancel_help = ""

    def get_urls(self):
        view = self.admin_site.admin_view
        urls = []
        for action in self.run_views:
            handler = getattr(self, f"{action}_view")
            if action in self.posted_views:
                handler = require_POST(handler)
            urls.append(path(f"<path:object_id>/{action}/", view(handler), name=self.run_url_name(action)))
        return [*urls, *super().get_urls()]

    def run_url_name(self, action: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{action}"

    def run_url(self, action: str, run: BackgroundRun) -> str:
        return reverse(f"admin:{self.run_url_name(action)}", args=[run.pk])

    # What differs by kind of run.

    def run_label(self, run: BackgroundRun) -> str:
        return f"Run {run.pk}"

    def run_state(self, run: BackgroundRun) -> str:
        return run_state(run)

    def may_cancel(self, request: HttpRequest, run: BackgroundRun) -> bool:
        raise NotImplementedError

    def may_download(self, request: HttpRequest, run: BackgroundRun) -> bool:
        raise NotImplementedError

    def run_download(self, run: BackgroundRun) -> RunDownload:
        raise NotImplementedError

    def run_context(self, request: HttpRequest, run: BackgroundRun) -> dict:
        """What the run's page shows above its fields (run_change_form.html)."""
        unfinished = run.status in UNFINISHED
        done, total = run.progress
        return {
            "status_url": self.run_url("status", run),
            "unfinished": unfinished,
            "unit": self.unit,
            "done": done,
            "total": total,
            "status_display": self.run_state(run),
            "message": getattr(run, run.message_field),
            "cancel_url": self.run_url("cancel", run) if unfinished and self.may_cancel(request, run) else None,
            "cancel_help": self.cancel_help,
            "result_url": self.run_url("result", run)
            if self.has_result(run) and self.may_download(request, run) and run_file_exists(run.result_file.name)
            else None,
            "result_label": f"Download {self.run_download(run).file_name}",
        }

    # The views.

    def get_run(self, request: HttpRequest, object_id: str) -> BackgroundRun:
        run = self.get_object(request, unquote(object_id))
        if run is None:
            raise Http404(f"No {self.opts.verbose_name} {object_id!r}.")
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return run

    def has_result(self, run: BackgroundRun) -> bool:
        return run.status not in UNFINISHED and bool(run.result_file)

    def status_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        run = self.get_run(request, object_id)
        done, total = run.progress
        return JsonResponse(
            {
                "status": run.status,
                "status_display": self.run_state(run),
                "done": done,
                "total": total,
                "finished": run.status not in UNFINISHED,
                "cancel_requested": run.cancel_requested,
            },
            headers={"Cache-Control": "no-store"},
        )

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponseRedirect:
        run = self.get_run(request, object_id)
        if not self.may_cancel(request, run):
            raise PermissionDenied
        if self.cancel_run(run):
            self.message_user(request, f"{self.run_label(run)} stops at its next batch.", messages.SUCCESS)
        else:
            self.message_user(
                request, f"{self.run_label(run)} has already finished; nothing to cancel.", messages.WARNING
            )
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[run.pk])
        )

    def result_view(self, request: HttpRequest, object_id: str) -> FileResponse | HttpResponseRedirect:
        run = self.get_run(request, object_id)
        if not self.may_download(request, run):
            raise PermissionDenied
        if not self.has_result(run):
            raise Http404(
                f"{self.run_label(run)} has no file to download: it is unfinished, or made no file (its page says why)."
            )
        download = self.run_download(run)
        file = run_file(run.result_file.name)
        if file is None:
            self.message_user(
                request,
                f"The file of {self.run_label(run).lower()} is no longer on the server. {download.when_lost}",
                messages.ERROR,
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[run.pk])
            )
        # Logged as every export is: who took which rows, when.
        log_data_exchange(
            request,
            action=DataExchangeLog.Action.EXPORT,
            model=download.model,
            file_format=download.file_format,
            file_name=download.file_name,
            rows=download.rows,
        )
        response = FileResponse(
            file, as_attachment=True, filename=download.file_name, content_type=download.content_type
        )
        response["Cache-Control"] = "no-store"  # access codes, or customers' personal data
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["run"] = self.run_context(request, obj)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
