"""Spreadsheet import and export in the admin, and the log of every one of them.

The ModelAdmins take their Import/Export buttons from the mixins here, which add to
django-import-export's own flow (upload, dry-run preview, confirm):

- CSV and XLSX only, with formula escaping that round-trips (``resources.formats``);
- at confirm, any row that fails rolls the whole file back (the library would keep the good
  rows), and the staff member is told so instead of reading "Import finished";
- every confirmed import and every export is written to ``DataExchangeLog``, in the same
  transaction as the import itself;
- an admin's ``import_options`` (fields of its import form, e.g. the screenings' ``skip_past``)
  reach the resource's ``import_data`` through the confirm form or the background run;
- a file whose check found problems is kept (the library's temporary storage, named in a signed
  field of the form), so staff can check it again, with other options, without choosing it again:
  a browser never fills a file input in for them.

Who may import or export is set by ``IMPORT_EXPORT_IMPORT_PERMISSION_CODE`` and
``IMPORT_EXPORT_EXPORT_PERMISSION_CODE`` in settings: the ``import_<model>`` and
``export_<model>`` permissions, separate from add and change.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.text import capfirst
from import_export.admin import ExportMixin, ImportMixin

from backoffice.campaign.admin.import_limits import LimitedImportForm
from backoffice.campaign.models import DataExchangeLog
from backoffice.campaign.one_line import header_text
from backoffice.campaign.resources.base import result_counts
from backoffice.campaign.resources.formats import SPREADSHEET_FORMATS, UnreadableFile
from backoffice.campaign.services.data_runs import data_export_request, data_import_request


class SpreadsheetExportMixin(ExportMixin):
    export_formats = SPREADSHEET_FORMATS

    def get_export_data(self, file_format, request, queryset, **kwargs):
        export_info = {"format": file_format}
        data = super().get_export_data(file_format, request, queryset, export_info=export_info, **kwargs)
        self.log_data_exchange(
            request,
            action=DataExchangeLog.Action.EXPORT,
            file_format=file_format,
            file_name=self.get_export_filename(request, queryset, file_format),
            rows=export_info["rows"],
        )
        return data

    def get_data_for_export(self, request, queryset, *, export_info: dict | None = None, **kwargs):
        if export_info is not None:
            # The library looks for its own XLSX class to keep numbers as numbers; ours subclasses it.
            kwargs["force_native_type"] = export_info["format"].is_binary()
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        if export_info is not None:
            export_info["rows"] = len(dataset)
        return dataset

    def log_data_exchange(self, request, *, action: str, file_format, file_name: str, rows: int, **counts) -> None:
        log_data_exchange(
            request,
            action=action,
            model=self.model,
            file_format=file_format.get_extension(),
            file_name=file_name,
            rows=rows,
            **counts,
        )


def log_data_exchange(request, *, action: str, model, file_format: str, file_name: str, rows: int, **counts) -> None:
    """Who took which data out (or put it in), when, and how many rows: every download of
    customers' data is written here, the door lists and subject access copies as well."""
    DataExchangeLog.objects.create(
        user=request.user,
        action=action,
        content_type=ContentType.objects.get_for_model(model),
        file_format=file_format,
        file_name=header_text(file_name)[:255],
        rows=rows,
        **counts,
    )


class LargeTableExportMixin(SpreadsheetExportMixin):
    """Exports of more than ``EXPORT_INLINE_MAX_ROWS`` rows are made by the workers as a ``DataRun``.

    The run keeps the list's query string (its filters and search), the chosen columns and the
    format; its page offers the file once it is made (services/data_runs.py).
    """

    def export_action(self, request):
        if request.method == "POST" and "export_items" not in request.POST and self.has_export_permission(request):
            form_class = self.get_export_form_class()
            form = form_class(self.get_export_formats(), self.get_export_resource_classes(request), data=request.POST)
            if form.is_valid():
                queryset = self.get_export_queryset(request)
                limit = settings.EXPORT_INLINE_MAX_ROWS
                if queryset[: limit + 1].count() > limit:
                    return self.export_in_background(request, form, queryset)
        return super().export_action(request)

    def export_in_background(self, request, form, queryset) -> HttpResponseRedirect:
        with transaction.atomic():
            run = data_export_request(
                model=self.model,
                resource_class=self.choose_export_resource_class(form, request),
                file_format=self.get_export_formats()[int(form.cleaned_data["format"])](),
                export_fields=self.get_export_resource_fields_from_form(form),
                query=request.GET.urlencode(),
                total=queryset.count(),
                created_by=request.user,
            )
        self.message_user(
            request,
            f"Exporting {run.total:,} {self.model._meta.verbose_name_plural} as run {run.pk}. "
            "You may leave this page; the file is downloadable here once the run finishes.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:campaign_datarun_change", args=[run.pk]))


# A checked file is offered again for this long; the library's temporary storage keeps it.
KEPT_FILE_MAX_AGE = 60 * 60
KEPT_FILE_SALT = "campaign.import.kept-file"


class SpreadsheetImportExportMixin(ImportMixin, SpreadsheetExportMixin):
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    import_template_name = "admin/campaign/spreadsheet_import.html"
    import_formats = SPREADSHEET_FORMATS
    # Files are read as bytes and decoded by resources.formats.read_spreadsheet, which sniffs them.
    from_encoding = None
    import_form_class = LimitedImportForm  # size, rows and unpacked XLSX size (admin/import_limits.py)
    #: Fields of the import form (and of the confirm form) given to the resource's import_data.
    import_options: tuple[str, ...] = ()

    def import_options_of(self, form) -> dict:
        return {name: form.cleaned_data[name] for name in self.import_options}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial.update(self.import_options_of(import_form))
        return initial

    def create_import_form(self, request):
        # Built by import_action and by the background check before it: read and count the file once.
        form = getattr(request, "_spreadsheet_import_form", None)
        if form is None:
            form = request._spreadsheet_import_form = super().create_import_form(request)
        return form

    def import_action(self, request, **kwargs):
        if request.method == "POST" and self.has_import_permission(request):
            self.reuse_kept_file(request)
            form = self.create_import_form(request)
            if form.is_valid() and form.in_background:
                return self.import_in_background(request, form)
        response = super().import_action(request, **kwargs)
        self.keep_checked_file(request, response)
        return response

    def keep_checked_file(self, request, response) -> None:
        """After a check that found problems, offer the same file again: its name on the page and
        a signed token of its temporary copy in the form, the file input no longer required."""
        context = getattr(response, "context_data", None) or {}
        result, form = context.get("result"), context.get("form")
        if result is None or not (result.has_errors() or result.has_validation_errors()):
            return
        upload = form.cleaned_data["import_file"]
        kept = {"tmp": upload.tmp_storage_name, "name": upload.name, "user": request.user.pk}
        context["kept_file"] = {"token": signing.dumps(kept, salt=KEPT_FILE_SALT), "name": upload.name}
        form.fields["import_file"].required = False

    def reuse_kept_file(self, request) -> None:
        """No file chosen, but a kept one named: upload it again from the temporary storage. The
        kept copy goes either way: a check that finds problems again keeps a new one.

        The token is signed and names its staff member, so no other file can be read this way; a
        token too old, or a file gone, leaves the form to say that a file is needed."""
        token = request.POST.get("kept_file")
        if not token:
            return
        try:
            kept = signing.loads(token, salt=KEPT_FILE_SALT, max_age=KEPT_FILE_MAX_AGE)
        except signing.BadSignature:
            return
        if kept["user"] != request.user.pk:
            return
        storage = self.get_tmp_storage_class()(name=kept["tmp"], read_mode="rb", **self.get_tmp_storage_class_kwargs())
        try:
            if "import_file" not in request.FILES and (data := storage.read()) is not None:
                request.FILES["import_file"] = SimpleUploadedFile(kept["name"], data)
            storage.remove()
        except OSError:
            return

    def import_in_background(self, request, form) -> HttpResponseRedirect:
        """A file too big for the page: the workers check it, then (once confirmed) import it."""
        upload = form.cleaned_data["import_file"]
        with transaction.atomic():
            run = data_import_request(
                model=self.model,
                resource_class=self.choose_import_resource_class(form, request),
                file_format=self.get_import_formats()[int(form.cleaned_data["format"])](),
                upload=upload,
                file_name=upload.name,
                total=form.rows,
                created_by=request.user,
                options=self.import_options_of(form),
            )
        self.message_user(
            request,
            f"The file has {form.rows:,} rows, more than an import inside the page takes: it is checked in the "
            f"background as run {run.pk}. Nothing is saved until you confirm on this page.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:campaign_datarun_change", args=[run.pk]))

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        kwargs = super().get_import_data_kwargs(**kwargs)
        # The preview showed no errors, but rows can still fail at confirm (someone added a
        # ticket code or booked seats in between). A file is imported whole or not at all.
        kwargs["rollback_on_validation_errors"] = True
        if form is not None:
            kwargs.update(self.import_options_of(form))
        return kwargs

    def process_dataset(self, dataset, form, request, **kwargs):
        with transaction.atomic():
            result = super().process_dataset(dataset, form, request, **kwargs)
            if not (result.has_errors() or result.has_validation_errors()):
                totals = result.totals
                self.log_data_exchange(
                    request,
                    action=DataExchangeLog.Action.IMPORT,
                    file_format=self.get_import_formats()[int(form.cleaned_data["format"])](),
                    file_name=form.cleaned_data.get("original_file_name") or "",
                    rows=result.total_rows,
                    new_rows=totals["new"],
                    updated_rows=totals["update"],
                    skipped_rows=totals["skip"],
                )
        return result

    def add_data_read_fail_error_to_form(self, form, e) -> None:
        # The library's message names the exception ("'BadZipFile' encountered..."); say what is wrong.
        if isinstance(e, UnreadableFile):
            message = str(e)
        else:
            message = "The file cannot be read as a spreadsheet. Upload a .csv (UTF-8) or .xlsx file."
        form.add_error("import_file", message)

    def add_success_message(self, result, request) -> None:
        # The preview's words ("unchanged or empty"), not the library's "skipped"; nothing is deleted.
        messages.success(request, f"Import finished: {result_counts(result)} ({self.model._meta.verbose_name_plural}).")

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request,
                "Nothing was imported: the file no longer passes the checks, because the data changed "
                "since the preview. Upload it again to see which rows are at fault.",
            )
            info = self.get_model_info()
            return HttpResponseRedirect(reverse(f"admin:{info[0]}_{info[1]}_import", current_app=self.admin_site.name))
        return super().process_result(result, request)


def data_label(content_type: ContentType) -> str:
    """ "Screenings" rather than the content type's "Christmas film campaign | screening"."""
    model = content_type.model_class()
    return capfirst(model._meta.verbose_name_plural) if model else content_type.model


class DataFilter(admin.RelatedOnlyFieldListFilter):
    def field_choices(self, field, request, model_admin):
        choices = super().field_choices(field, request, model_admin)
        return [(pk, data_label(ContentType.objects.get_for_id(pk))) for pk, _ in choices]


@admin.register(DataExchangeLog)
class DataExchangeLogAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "action",
        "data",
        "file_format",
        "rows",
        "new_rows",
        "updated_rows",
        "skipped_rows",
        "user",
        "file_name",
    ]
    list_filter = ["action", ("content_type", DataFilter), "file_format"]
    list_select_related = ["content_type", "user"]
    search_fields = ["file_name", "user__username"]
    date_hierarchy = "created_at"

    @admin.display(description="data", ordering="content_type")
    def data(self, log: DataExchangeLog) -> str:
        return data_label(log.content_type)

    def has_add_permission(self, request) -> bool:
        return False  # written by imports and exports only

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
