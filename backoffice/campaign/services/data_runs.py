"""Spreadsheet imports and exports as background runs on the Celery workers, and runs on access
codes (kinds *block* and *delete*: services/code_blocks.py and code_deletions.py), one chunk of
codes a transaction, on the same record, heartbeat, sweeper and page.

The ``DataRun`` row is the run's record. The admin writes it ``queued`` in the request's
transaction and the task is published once that commits. A worker claims it (queued -> running,
one conditional UPDATE: a message delivered twice runs once) and then:

- an import's **preview** checks every row as the inline import does (a real import in a
  transaction that is rolled back) and keeps the counts and the errors by row and column;
  once staff confirm, the run is queued again for its **apply**, which imports the whole file
  in one transaction, with the exchange log entry and the run's completion: a bad row anywhere,
  a Cancel or a dead worker writes nothing;
- an **export** reads the list's rows (its filters and search, as the inline export) in chunks
  and writes the file to private storage.

Every ``DATA_RUN_BATCH_SIZE`` rows the run sends a heartbeat (``done`` and ``updated_at``) and
reads Cancel. An import's rows are one open transaction, so on PostgreSQL the heartbeat goes
through a connection of its own, committed at once, where the admin and the sweeper see it.
A run whose worker died is queued again by the sweeper (services/runs.py) and starts again on
another worker: an import's rows died with their transaction, blocking codes is idempotent per
chunk, deleting an unused batch goes on with the codes left, an export is made again. Another
beat task deletes the files of runs that ended ``DATA_RUN_FILE_RETENTION_DAYS`` ago (exports
may hold personal data).
"""

import logging
from datetime import timedelta
from functools import partial

import tablib
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.module_loading import import_string

from backoffice.campaign.models import DataExchangeLog, DataRun, RunStatus, private_storage
from backoffice.campaign.one_line import header_text
from backoffice.campaign.resources.base import import_counts
from backoffice.campaign.resources.formats import SPREADSHEET_FORMATS, UnreadableFile
from backoffice.campaign.services.access_codes import RunCancelled, RunSuperseded
from backoffice.campaign.services.runs import run_cancel, run_claim, run_publish

logger = logging.getLogger(__name__)

CODE_RUN_KINDS = (DataRun.Kind.BLOCK, DataRun.Kind.DELETE)

#: Errors kept for the run's page; the count says how many there were in all.
MAX_ERRORS_SHOWN = 1000


def spreadsheet_format(extension: str):
    return next(fmt for fmt in SPREADSHEET_FORMATS if fmt().get_extension() == extension)()


def class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def data_import_request(
    *,
    model,
    resource_class: type,
    file_format,
    upload,
    file_name: str,
    total: int,
    created_by,
    options: dict | None = None,
) -> DataRun:
    """Keep the uploaded file in private storage and queue its check (the preview) for the workers.

    ``options`` are the import form's choices (e.g. ``skip_past``), given to the resource's
    ``import_data`` by the check and by the apply alike."""
    run = DataRun.objects.create(
        kind=DataRun.Kind.IMPORT,
        phase=DataRun.Phase.PREVIEW,
        content_type=ContentType.objects.get_for_model(model),
        parameters={
            "resource": class_path(resource_class),
            "format": file_format.get_extension(),
            "file_name": header_text(file_name),  # shown, logged and named in downloads: one line
            "options": options or {},
        },
        total=total,
        created_by=created_by,
    )
    upload.seek(0)
    run.upload_file.name = private_storage().save(f"data-runs/{run.pk}/upload.{file_format.get_extension()}", upload)
    run.save(update_fields=["upload_file", "updated_at"])
    transaction.on_commit(partial(data_run_publish, run.pk))
    return run


def data_export_request(
    *, model, resource_class: type, file_format, export_fields: list[str] | None, query: str, total: int, created_by
) -> DataRun:
    """Queue an export of the list as filtered by ``query`` (the changelist's query string)."""
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    run = DataRun.objects.create(
        kind=DataRun.Kind.EXPORT,
        content_type=ContentType.objects.get_for_model(model),
        parameters={
            "resource": class_path(resource_class),
            "format": file_format.get_extension(),
            "fields": export_fields,
            "query": query,
            "file_name": f"{model.__name__}-{stamp}.{file_format.get_extension()}",
        },
        total=total,
        created_by=created_by,
    )
    transaction.on_commit(partial(data_run_publish, run.pk))
    return run


def data_run_publish(pk: int) -> None:
    from backoffice.campaign.tasks import data_run

    run_publish(data_run, pk)


def data_run_confirm(run: DataRun) -> bool:
    """A checked import without errors -> queued for its apply; False if it is not (or no longer) that."""
    confirmed = DataRun.objects.filter(
        pk=run.pk,
        kind=DataRun.Kind.IMPORT,
        phase=DataRun.Phase.PREVIEW,
        status=RunStatus.COMPLETED,
        outcome__error_count=0,
    ).update(
        phase=DataRun.Phase.APPLY,
        status=RunStatus.QUEUED,
        done=0,
        attempts=0,
        finished_at=None,
        message="",
        updated_at=Now(),
    )
    if confirmed:
        transaction.on_commit(partial(data_run_publish, run.pk))
    return bool(confirmed)


def data_run_cancel(run: DataRun) -> bool:
    return run_cancel(DataRun, pk=run.pk, message_field="message")


class Heartbeat:
    """Progress and Cancel of one run, every ``DATA_RUN_BATCH_SIZE`` rows.

    On PostgreSQL through a connection of its own (autocommit), because an import's rows are one
    open transaction on the run's connection: written there, progress would show only at the end.
    SQLite (local use) has one writer at a time, so the run's own connection writes it there.
    """

    def __init__(self, pk: int, attempt: int) -> None:
        self.pk = pk
        self.attempt = attempt
        self.every = max(1, settings.DATA_RUN_BATCH_SIZE)
        self.alias = DEFAULT_DB_ALIAS
        if connection.vendor == "postgresql":
            self.alias = f"data-run-heartbeat-{pk}"
            connections[self.alias] = connections.create_connection(DEFAULT_DB_ALIAS)

    def row(self, number: int) -> None:
        """Called before row ``number`` is read: rows before it are done."""
        if number % self.every == 0:
            self.beat(number)

    def beat(self, done: int) -> None:
        runs = DataRun.objects.using(self.alias).filter(pk=self.pk)
        # Only on this try: a run the sweeper gave to another worker is left to it.
        if runs.exclude(status=RunStatus.RUNNING, attempts=self.attempt).exists():
            raise RunSuperseded
        runs.update(done=done, updated_at=Now())
        if runs.filter(cancel_requested=True).exists():
            raise RunCancelled

    def close(self) -> None:
        if self.alias != DEFAULT_DB_ALIAS:
            connections[self.alias].close()
            del connections[self.alias]


def data_run_execute(pk: int) -> bool:
    """Run a queued run; False when another delivery already claimed it (or it was cancelled)."""
    if not run_claim(DataRun, pk=pk):
        return False
    run = DataRun.objects.select_related("content_type", "created_by").get(pk=pk)
    heartbeat = Heartbeat(pk, run.attempts)
    try:
        if run.kind in CODE_RUN_KINDS:
            _codes(run, heartbeat)
        elif run.kind == DataRun.Kind.EXPORT:
            _export(run, heartbeat)
        elif run.phase == DataRun.Phase.PREVIEW:
            _preview(run, heartbeat)
        else:
            _apply(run, heartbeat)
    except RunSuperseded:
        logger.warning("Spreadsheet run %s was taken over by another worker; this one stops.", pk)
    except RunCancelled:
        _finish(run, RunStatus.CANCELLED, _cancelled_message(run))
    except UnreadableFile as exc:  # the file's fault, said in plain words: no traceback in the log
        _finish(run, RunStatus.FAILED, f"{exc} {_nothing_kept(run)}")
    except Exception as exc:
        logger.exception("Spreadsheet run %s failed", pk)
        _finish(run, RunStatus.FAILED, f"The run stopped on an error: {exc}. {_nothing_kept(run)}")
    finally:
        heartbeat.close()
    return True


def _nothing_kept(run: DataRun) -> str:
    if run.kind == DataRun.Kind.BLOCK:
        return "The codes done so far stay so, and Code withdrawals counts them. Start it again for the rest."
    if run.kind == DataRun.Kind.DELETE:
        return "The codes deleted so far are gone; the batch and its other codes stay. Delete it again for the rest."
    if run.kind == DataRun.Kind.EXPORT:
        return "No file was made; export again."
    if run.phase == DataRun.Phase.APPLY:
        return "Nothing was imported."
    return "Nothing was imported; upload the file again."


def _cancelled_message(run: DataRun) -> str:
    return f"Cancelled by staff. {_nothing_kept(run)}"


def _finish(run: DataRun, status: str, message: str, **fields) -> None:
    if run.kind == DataRun.Kind.EXPORT and status != RunStatus.COMPLETED and run.result_file:
        private_storage().delete(run.result_file.name)
        fields["result_file"] = ""
    DataRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, attempts=run.attempts).update(
        status=status, message=message, finished_at=timezone.now(), updated_at=Now(), **fields
    )


def _codes(run: DataRun, heartbeat: Heartbeat) -> None:
    # Runs on access codes: withdrawing or restoring them, deleting an unused batch.
    from backoffice.campaign.services import code_blocks, code_deletions

    if run.kind == DataRun.Kind.BLOCK:
        message = code_blocks.code_block_run(run, heartbeat)
    else:
        message = code_deletions.code_batch_delete_run(run, heartbeat)
    _finish(run, RunStatus.COMPLETED, message, done=run.total)


def _import_resource(run: DataRun, heartbeat: Heartbeat):
    resource = import_string(run.parameters["resource"])()
    resource.row_progress = heartbeat.row
    return resource


def _dataset(run: DataRun) -> tablib.Dataset:
    file_format = spreadsheet_format(run.parameters["format"])
    with private_storage().open(run.upload_file.name, "rb") as file:
        return file_format.create_dataset(file.read())


def _import(run: DataRun, heartbeat: Heartbeat, *, dry_run: bool) -> dict:
    """The outcome of the whole file, checked (``dry_run``) or imported in the caller's transaction."""
    resource = _import_resource(run, heartbeat)
    if hasattr(resource, "load"):  # a resource with a bulk path of its own (tickets)
        return resource.load(_dataset(run), dry_run=dry_run)
    result = resource.import_data(
        _dataset(run),
        dry_run=dry_run,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
        file_name=run.parameters["file_name"],
        user=run.created_by,
        **run.parameters.get("options", {}),
    )
    return import_outcome(result)


def import_outcome(result) -> dict:
    """Counts and every problem as "Row N, column: message" (the header is row 1, as in a spreadsheet)."""
    errors = [str(error.error) for error in result.base_errors]
    for number, row_errors in result.row_errors():
        errors += [f"Row {number + 1}: {error.error}" for error in row_errors]
    for row in result.invalid_rows:
        for column, messages in row.field_specific_errors.items():
            errors += [f"Row {row.number + 1}, {column}: {message}" for message in messages]
        errors += [f"Row {row.number + 1}: {message}" for message in row.non_field_specific_errors]
    totals = result.totals
    return {
        "rows": result.total_rows,
        "new": totals["new"],
        "update": totals["update"],
        "skip": totals["skip"],
        "past": getattr(result, "past_rows", None),
        "errors": errors[:MAX_ERRORS_SHOWN],
        "error_count": len(errors),
        "ignored_columns": getattr(result, "ignored_columns", []),
        "import_columns": getattr(result, "import_columns", []),
    }


def _outcome_counts(outcome: dict) -> str:
    return import_counts(new=outcome["new"], update=outcome["update"], skip=outcome["skip"], past=outcome.get("past"))


def _preview(run: DataRun, heartbeat: Heartbeat) -> None:
    outcome = _import(run, heartbeat, dry_run=True)
    if outcome["error_count"]:
        message = (
            f"{outcome['error_count']:,} problems found, so nothing can be imported. "
            "Correct the file and upload it again."
        )
    else:
        message = f"Checked: {_outcome_counts(outcome)}. Nothing is saved until you confirm."
    _finish(run, RunStatus.COMPLETED, message, outcome=outcome, done=outcome["rows"])


def _apply(run: DataRun, heartbeat: Heartbeat) -> None:
    # One transaction: the rows, the exchange log entry and the run's completion commit together.
    with transaction.atomic():
        outcome = _import(run, heartbeat, dry_run=False)
        if outcome["error_count"]:
            transaction.set_rollback(True)
        else:
            DataExchangeLog.objects.create(
                user=run.created_by,
                action=DataExchangeLog.Action.IMPORT,
                content_type=run.content_type,
                file_format=run.parameters["format"],
                file_name=run.parameters["file_name"][:255],
                rows=outcome["rows"],
                new_rows=outcome["new"],
                updated_rows=outcome["update"],
                skipped_rows=outcome["skip"],
            )
            plural = run.content_type.model_class()._meta.verbose_name_plural
            _finish(
                run,
                RunStatus.COMPLETED,
                f"Import finished: {_outcome_counts(outcome)} ({plural}).",
                outcome=outcome,
                done=outcome["rows"],
            )
    if outcome["error_count"]:
        _finish(
            run,
            RunStatus.FAILED,
            "Nothing was imported: the file no longer passes the checks, because the data changed since "
            "the preview. Upload it again to see which rows are at fault.",
            outcome=outcome,
        )


def export_queryset(run: DataRun):
    """The list's rows as its changelist shows them to the run's owner: its filters, search and permissions."""
    from django.contrib import admin
    from django.http import QueryDict
    from django.test import RequestFactory

    if run.created_by is None or not run.created_by.is_active:
        raise PermissionError("the staff member who asked for it no longer has an account")
    request = RequestFactory().get("/", QueryDict(run.parameters["query"]))
    request.user = run.created_by
    model_admin = admin.site.get_model_admin(run.content_type.model_class())
    if not model_admin.has_export_permission(request):
        raise PermissionError("the staff member who asked for it may no longer export this list")
    return model_admin.get_export_queryset(request)


def _export(run: DataRun, heartbeat: Heartbeat) -> None:
    file_format = spreadsheet_format(run.parameters["format"])
    resource = import_string(run.parameters["resource"])()
    fields = run.parameters.get("fields")
    binary = file_format.is_binary()
    queryset = export_queryset(run).order_by("pk")
    storage = private_storage()
    if run.result_file:  # the file of a try whose worker died: made again
        storage.delete(run.result_file.name)
    run.result_file.name = storage.save(f"data-runs/{run.pk}/{run.parameters['file_name']}", ContentFile(b""))
    DataRun.objects.filter(pk=run.pk).update(result_file=run.result_file.name)
    every = heartbeat.every
    done, last = 0, None
    # A workbook is written whole at the end, its rows gathered here; a CSV chunk by chunk.
    header_only = resource.export(queryset=queryset.none(), export_fields=fields)
    workbook = header_only if binary else None
    with storage.open(run.result_file.name, "wb") as file:
        while True:
            pks = list(queryset.filter(pk__gt=last or 0).values_list("pk", flat=True)[:every])
            if not pks:
                break
            rows = queryset.filter(pk__in=pks)
            dataset = resource.export(queryset=rows, export_fields=fields, force_native_type=binary)
            if binary:
                workbook.extend(dataset)
            else:
                text = file_format.export_data(dataset)
                file.write((text if done == 0 else text.partition("\n")[2]).encode())
            done += len(pks)
            last = pks[-1]
            heartbeat.beat(done)
        if binary:
            file.write(file_format.export_data(workbook))
        elif done == 0:
            file.write(
                file_format.export_data(resource.export(queryset=queryset.none(), export_fields=fields)).encode()
            )
    _finish(run, RunStatus.COMPLETED, f"Exported {done:,} rows.", done=done, total=done)


def data_run_gave_up(run: DataRun) -> str:
    """The end of the failure message when the sweeper stops resuming a run; an export's partial file goes."""
    if run.kind == DataRun.Kind.EXPORT and run.result_file:
        private_storage().delete(run.result_file.name)
        DataRun.objects.filter(pk=run.pk).update(result_file="")
    unit = "codes" if run.kind in CODE_RUN_KINDS else "rows"
    return f"stopped after {run.done:,} of {run.total:,} {unit}. {_nothing_kept(run)}"


def data_run_files_expire(*, days: int) -> int:
    """Delete the files (uploads and exports) of runs that ended ``days`` ago. Returns how many runs had some."""
    storage = private_storage()
    ended = DataRun.objects.filter(finished_at__lt=timezone.now() - timedelta(days=days)).exclude(
        upload_file="", result_file=""
    )
    expired = 0
    for run in ended:
        for name in (run.upload_file.name, run.result_file.name):
            if name:
                storage.delete(name)
        DataRun.objects.filter(pk=run.pk).update(
            upload_file="",
            result_file="",
            message=f"The file was removed on {timezone.localdate():%Y-%m-%d}, {days} day(s) after the run "
            "ended: run files may hold personal data and are kept no longer.",
        )
        expired += 1
    return expired
