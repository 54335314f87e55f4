"""Formula escaping on export that import undoes, in CSV and XLSX."""

import pytest
import tablib

from backoffice.campaign.resources.formats import CSV, XLSX, escape_formula, unescape_formula

DANGEROUS = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tx", "\r=1"]
HARMLESS = ["Aberdeen - Queens Links", "-3.2", "+44", "1e5", "", "plain", "a=b"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_cells_get_a_leading_apostrophe(value):
    assert escape_formula(value) == "'" + value


@pytest.mark.parametrize("value", [*HARMLESS, 12, -3.5, None, True])
def test_numbers_and_ordinary_text_are_left_alone(value):
    assert escape_formula(value) == value


@pytest.mark.parametrize("value", [*DANGEROUS, *HARMLESS, "'=already", "''=x", "'plain", "'"])
def test_unescape_undoes_escape(value):
    assert unescape_formula(escape_formula(value)) == value


def dataset() -> tablib.Dataset:
    data = tablib.Dataset(headers=["name", "lat", "count"])
    data.append(['=HYPERLINK("http://evil.example")', None, 3])
    data.append(["-1+1", -3.25, 0])
    return data


def test_csv_export_escapes_and_reads_back_the_same_text(settings):
    settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
    text = CSV().export_data(dataset())
    assert "'=HYPERLINK" in text
    assert "'-1+1" in text
    assert "-3.25" in text
    assert "'-3.25" not in text
    back = CSV(encoding="utf-8").create_dataset(text)
    assert back["name"] == ['=HYPERLINK("http://evil.example")', "-1+1"]


def test_xlsx_export_escapes_and_keeps_numbers_and_empty_cells(settings):
    settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
    back = XLSX().create_dataset(XLSX().export_data(dataset()))
    # The library's own escaping would write None as the text "None" and numbers as text.
    assert back.dict == [
        {"name": '=HYPERLINK("http://evil.example")', "lat": None, "count": 3},
        {"name": "-1+1", "lat": -3.25, "count": 0},
    ]


def test_xlsx_formula_cell_is_stored_as_text(settings):
    from io import BytesIO

    import openpyxl

    settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
    sheet = openpyxl.load_workbook(BytesIO(XLSX().export_data(dataset()))).active
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value.startswith("'=")
