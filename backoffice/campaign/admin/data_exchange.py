"""Spreadsheet import and export in the admin, and the log of every one of them.

The ModelAdmins take their Import/Export buttons from the mixins here, which add to
django-import-export's own flow (upload, dry-run preview, confirm):

- CSV and XLSX only, with formula escaping that round-trips (``resources.formats``);
- at confirm, any row that fails rolls the whole file back (the library would keep the good
  rows), and the staff member is told so instead of reading "Import finished";
- every confirmed import and every export is written to ``DataExchangeLog``, in the same
  transaction as the import itself.

Who may import or export is set by ``IMPORT_EXPORT_IMPORT_PERMISSION_CODE`` and
``IMPORT_EXPORT_EXPORT_PERMISSION_CODE`` in settings: the ``import_<model>`` and
``export_<model>`` permissions, separate from add and change.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.text import capfirst
from import_export.admin import ExportMixin, ImportMixin

from backoffice.campaign.admin.import_limits import LimitedImportForm
from backoffice.campaign.models import DataExchangeLog
from backoffice.campaign.one_line import header_text
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


class SpreadsheetImportExportMixin(ImportMixin, SpreadsheetExportMixin):
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    import_template_name = "admin/campaign/spreadsheet_import.html"
    import_formats = SPREADSHEET_FORMATS
    # Files are read as bytes and decoded by resources.formats.read_spreadsheet, which sniffs them.
    from_encoding = None
    import_form_class = LimitedImportForm  # size, rows and unpacked XLSX size (admin/import_limits.py)

    def create_import_form(self, request):
        # Built by import_action and by the background check before it: read and count the file once.
        form = getattr(request, "_spreadsheet_import_form", None)
        if form is None:
            form = request._spreadsheet_import_form = super().create_import_form(request)
        return form

    def import_action(self, request, **kwargs):
        if request.method == "POST" and self.has_import_permission(request):
            form = self.create_import_form(request)
            if form.is_valid() and form.in_background:
                return self.import_in_background(request, form)
        return super().import_action(request, **kwargs)

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
            )
        self.message_user(
            request,
            f"The file has {form.rows:,} rows, more than an import inside the page takes: it is checked in the "
            f"background as run {run.pk}. Nothing is saved until you confirm on this page.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:campaign_datarun_change", args=[run.pk]))

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        # The preview showed no errors, but rows can still fail at confirm (someone added a
        # ticket code or booked seats in between). A file is imported whole or not at all.
        kwargs["rollback_on_validation_errors"] = True
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
        totals = result.totals
        messages.success(
            request,
            f"Import finished: {totals['new']} new, {totals['update']} updated, {totals['skip']} unchanged or empty "
            f"({self.model._meta.verbose_name_plural}).",
        )

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
