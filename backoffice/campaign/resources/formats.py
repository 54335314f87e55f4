"""The spreadsheet formats staff exchange: CSV and XLSX, with formula escaping that round-trips.

django-import-export's own escaping (``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT``) only drops a
leading ``=``, and turns every cell into text on the way, so an empty number in an XLSX export
comes back as the word "None". These formats keep that setting as the switch but escape the way
pretix and OWASP advise: a text cell that a spreadsheet would run as a formula (it starts with
``= + - @``, a tab or a carriage return, and is not a plain number) gets a leading apostrophe.
Import removes that apostrophe again, so an exported file imports back to the same values.

On import the file's content decides how it is read, whichever format staff picked: an XLSX
workbook is a zip archive, anything else is read as CSV text in UTF-8 (a byte order mark is
dropped). A file that cannot be read is refused with ``UnreadableFile``, whose message says what
is wrong in words a staff member can act on, never a library's exception name.

XLSX cannot hold most control characters (``\x0b`` in one name would fail the whole export), so
the XLSX format replaces each of them with U+FFFD on the way out; CSV keeps them.
"""

import csv
import io
import re

import tablib
from import_export.formats import base_formats
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _needs_escape(value: str) -> bool:
    if value.startswith(FORMULA_START):
        return not PLAIN_NUMBER.fullmatch(value)
    # A value that already looks escaped is escaped once more, so import gives it back intact.
    return value.startswith(ESCAPE) and _needs_escape(value[1:])


def escape_formula(value):
    if isinstance(value, str) and _needs_escape(value):
        return ESCAPE + value
    return value


def unescape_formula(value):
    if isinstance(value, str) and value.startswith(ESCAPE) and _needs_escape(value[1:]):
        return value[1:]
    return value


def replace_illegal_characters(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
    return value


def _map_cells(dataset, convert) -> None:
    # In place and row by row (the library's lpop/append loop is quadratic on big files).
    for index, row in enumerate(dataset):
        cells = [convert(cell) for cell in row]
        if cells != list(row):
            dataset[index] = cells


ZIP_START = b"PK\x03\x04"
OLD_EXCEL_START = b"\xd0\xcf\x11\xe0"


class UnreadableFile(ValueError):
    """A file that is not a spreadsheet this import can read; the message is for staff."""


# Also what a workbook with XML entities of its own gets (a billion-laughs or an external-entity
# DTD): the XML parser refuses them, and no spreadsheet program writes one.
XLSX_UNREADABLE = (
    "The file looks like an XLSX workbook but cannot be opened (it may be damaged or incomplete). "
    "Save it again from your spreadsheet and upload it again."
)


def long_cell(line: int) -> str:
    """What a CSV cell beyond the csv module's field limit gets, usually a quote left open."""
    return (
        f"Line {line} has a cell longer than {csv.field_size_limit():,} characters, longer than any column "
        'of an import. Check that line for a quote (") that is opened but never closed.'
    )


def read_spreadsheet(data: bytes | str) -> tablib.Dataset:
    """The rows of an uploaded CSV or XLSX file, its first row as the headers."""
    if isinstance(data, str):
        return _read_csv(data)
    if data.startswith(ZIP_START):
        try:
            return base_formats.XLSX().create_dataset(data)
        except Exception:  # openpyxl and zipfile fail in many ways on a damaged file; all mean the same
            raise UnreadableFile(XLSX_UNREADABLE) from None
    if data.startswith(OLD_EXCEL_START):
        raise UnreadableFile(
            "The file is an old Excel .xls workbook. Save it as .xlsx or as CSV UTF-8 and upload it again."
        )
    if b"\x00" in data:
        raise UnreadableFile("The file is neither CSV text nor an XLSX workbook. Upload a .csv (UTF-8) or .xlsx file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        # Guessing another encoding could turn "Noël" into "NoÃ«l" without a word; ask for UTF-8.
        line = data.count(b"\n", 0, e.start) + 1
        raise UnreadableFile(
            f"The file is not UTF-8 text: line {line} has a character that cannot be read. "
            'Save it from your spreadsheet as "CSV UTF-8", or as XLSX, and upload it again.'
        ) from None
    return _read_csv(text)


def _read_csv(text: str) -> tablib.Dataset:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        records = list(reader)
    except csv.Error:  # the only one a reader of str with the default dialect raises: a cell too long
        raise UnreadableFile(long_cell(reader.line_num)) from None
    records = [(number, cells) for number, cells in enumerate(records, start=1) if cells]
    if not records:
        return tablib.Dataset()
    _, headers = records[0]
    rows = []
    for number, cells in records[1:]:
        # Empty cells past the last column are what a spreadsheet leaves of a deleted column.
        while len(cells) > len(headers) and not cells[-1].strip():
            cells.pop()
        if len(cells) != len(headers):
            raise UnreadableFile(
                f"Row {number} has {len(cells)} cells but the header row has {len(headers)} columns. "
                "Check for a stray comma or a shifted cell on that row."
            )
        rows.append(cells)
    return tablib.Dataset(*rows, headers=headers)


class _EscapingFormat:
    def _escape_formulae(self, dataset) -> None:
        _map_cells(dataset, escape_formula)

    def create_dataset(self, in_stream, **kwargs):
        dataset = read_spreadsheet(in_stream)
        _map_cells(dataset, unescape_formula)
        return dataset


class CSV(_EscapingFormat, base_formats.CSV):
    def get_read_mode(self) -> str:
        return "rb"  # bytes, so read_spreadsheet can tell XLSX from CSV and report bad encodings


class XLSX(_EscapingFormat, base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        _map_cells(dataset, replace_illegal_characters)
        return super().export_data(dataset, **kwargs)


SPREADSHEET_FORMATS = [CSV, XLSX]
