"""The admin page of a code generation run: what differs from a spreadsheet run's page.

The run itself is in services/code_runs.py; the page, its progress, Cancel and file are the shared
ones (admin/background_runs.py).
"""

from django.http import HttpRequest

from backoffice.campaign.admin.background_runs import RunAdminMixin, RunDownload
from backoffice.campaign.models import AccessCode, AccessCodeBatch
from backoffice.campaign.resources.formats import CSV
from backoffice.campaign.services.code_runs import code_run_cancel


class CodeRunAdminMixin(RunAdminMixin):
    cancel_run = staticmethod(code_run_cancel)
    unit = "codes"
    cancel_help = "Stops after the batch of codes in progress; the codes made stay, and the CSV holds exactly them."

    def get_readonly_fields(self, request, obj=None):
        # The file is handed out by result_view only: private storage has no URL to link to.
        return [name for name in super().get_readonly_fields(request, obj) if name != "result_file"]

    def run_label(self, run: AccessCodeBatch) -> str:
        return f"Batch {run.pk}"

    def may_cancel(self, request: HttpRequest, run: AccessCodeBatch) -> bool:
        # Whoever may start a run may stop one.
        return self.admin_site.get_model_admin(AccessCode).has_add_permission(request)

    def may_download(self, request: HttpRequest, run: AccessCodeBatch) -> bool:
        return self.has_download_permission(request)

    def run_download(self, run: AccessCodeBatch) -> RunDownload:
        return RunDownload(
            # The same name as the batch's "Download CSV", which reads the codes back from the database.
            file_name=f"access-codes-batch-{run.pk}.csv",
            content_type="text/csv",
            model=AccessCode,
            file_format=CSV().get_extension(),
            rows=run.created_count,
            when_lost="Its codes are in the database: download them again with “Download CSV” in the batch list.",
        )
