"""The spreadsheet formats staff exchange: CSV and XLSX, with formula escaping that round-trips.

django-import-export's own escaping (``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT``) only drops a
leading ``=``, and turns every cell into text on the way, so an empty number in an XLSX export
comes back as the word "None". These formats keep that setting as the switch but escape the way
pretix and OWASP advise: a text cell that a spreadsheet would run as a formula (it starts with
``= + - @``, a tab or a carriage return, and is not a plain number) gets a leading apostrophe.
Import removes that apostrophe again, so an exported file imports back to the same values.

XLSX cannot hold most control characters (``\x0b`` in one name would fail the whole export), so
the XLSX format replaces each of them with U+FFFD on the way out; CSV keeps them.
"""

import re

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


class _EscapingFormat:
    def _escape_formulae(self, dataset) -> None:
        _map_cells(dataset, escape_formula)

    def create_dataset(self, in_stream, **kwargs):
        dataset = super().create_dataset(in_stream, **kwargs)
        _map_cells(dataset, unescape_formula)
        return dataset


class CSV(_EscapingFormat, base_formats.CSV):
    pass


class XLSX(_EscapingFormat, base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        _map_cells(dataset, replace_illegal_characters)
        return super().export_data(dataset, **kwargs)


SPREADSHEET_FORMATS = [CSV, XLSX]
