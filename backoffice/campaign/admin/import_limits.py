"""Limits on an uploaded import file, checked before the file is parsed.

A file up to ``IMPORT_MAX_UPLOAD_BYTES`` and ``IMPORT_MAX_ROWS`` rows is imported inside the
request; a bigger one is checked and imported by the workers (a ``DataRun``,
services/data_runs.py), up to ``IMPORT_JOB_MAX_UPLOAD_BYTES`` and ``IMPORT_JOB_MAX_ROWS``.
Beyond those, or an XLSX file whose parts unpack to more than ``IMPORT_MAX_XLSX_UNPACKED_BYTES``
(read from the zip's directory, before the workbook is opened; zipfile never inflates a part
beyond the size its directory declares), the upload form refuses the file with a message. Rows
are counted up to one past the limit, never read to the end.
"""

import codecs
import csv
import zipfile
from itertools import islice

import openpyxl
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from import_export.forms import ImportForm

from backoffice.campaign.resources.formats import XLSX_UNREADABLE, long_cell

ZIP_MAGIC = b"PK\x03\x04"
SPLIT = "Split it into smaller files."


def import_file_check(upload: UploadedFile) -> int:
    """The file's rows; raise ValidationError if the file is beyond what even a background import takes."""
    if upload.size > settings.IMPORT_JOB_MAX_UPLOAD_BYTES:
        raise forms.ValidationError(
            f"The file is {filesizeformat(upload.size)}; an import takes files up to "
            f"{filesizeformat(settings.IMPORT_JOB_MAX_UPLOAD_BYTES)}. {SPLIT}"
        )
    upload.seek(0)
    is_zip = upload.read(len(ZIP_MAGIC)) == ZIP_MAGIC
    upload.seek(0)
    try:
        rows = _xlsx_rows(upload) if is_zip else _csv_rows(upload)
    except SyntaxError:  # the XML parser's ParseError: entities of its own (billion laughs, external ones)
        raise forms.ValidationError(XLSX_UNREADABLE) from None
    except (zipfile.BadZipFile, ValueError, KeyError, OSError):
        rows = 0  # not a readable spreadsheet: the import's own check says so
    finally:
        upload.seek(0)
    if rows > settings.IMPORT_JOB_MAX_ROWS:
        raise forms.ValidationError(
            f"The file has more than {settings.IMPORT_JOB_MAX_ROWS:,} rows; "
            f"an import takes at most {settings.IMPORT_JOB_MAX_ROWS:,}. {SPLIT}"
        )
    return rows


def import_in_background(upload: UploadedFile, rows: int) -> bool:
    """Too big to import inside a request: the workers check and import it."""
    return upload.size > settings.IMPORT_MAX_UPLOAD_BYTES or rows > settings.IMPORT_MAX_ROWS


def _limit() -> int:
    return settings.IMPORT_JOB_MAX_ROWS + 2  # the header, and one row too many


def _csv_rows(upload: UploadedFile) -> int:
    reader = csv.reader(codecs.iterdecode(upload, "utf-8-sig", errors="replace"))
    try:
        return max(0, sum(1 for row in islice(reader, _limit()) if any(row)) - 1)
    except csv.Error:  # a cell beyond the field limit
        raise forms.ValidationError(long_cell(reader.line_num)) from None


def _xlsx_rows(upload: UploadedFile) -> int:
    with zipfile.ZipFile(upload) as book:
        unpacked = sum(part.file_size for part in book.infolist())
    if unpacked > settings.IMPORT_MAX_XLSX_UNPACKED_BYTES:
        raise forms.ValidationError(
            f"The XLSX file unpacks to {filesizeformat(unpacked)}; an import takes at most "
            f"{filesizeformat(settings.IMPORT_MAX_XLSX_UNPACKED_BYTES)} unpacked. {SPLIT}"
        )
    upload.seek(0)
    workbook = openpyxl.load_workbook(upload, read_only=True, data_only=True)
    try:
        rows = islice(workbook.active.iter_rows(values_only=True), _limit())
        return max(0, sum(1 for row in rows if any(cell is not None for cell in row)) - 1)
    finally:
        workbook.close()


class LimitedImportForm(ImportForm):
    rows = 0
    in_background = False

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        self.rows = import_file_check(upload)
        self.in_background = import_in_background(upload, self.rows)
        return upload
