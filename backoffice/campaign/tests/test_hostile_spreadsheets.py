"""Hostile spreadsheets get a plain message and import nothing: a CSV cell beyond the field limit,
an XLSX whose shared strings declare a billion-laughs DTD or an external entity."""

import io
import zipfile

import openpyxl
import pytest

from backoffice.campaign.factories import FilmFactory
from backoffice.campaign.models import DataExchangeLog, DataRun, Ticket
from backoffice.campaign.services.data_runs import data_run_execute
from backoffice.campaign.tests.test_admin_import_export import XLSX_FORMAT, upload
from backoffice.campaign.tests.test_data_runs import queued_import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_files")]

UNOPENABLE = (
    "The file looks like an XLSX workbook but cannot be opened (it may be damaged or incomplete). "
    "Save it again from your spreadsheet and upload it again."
)
LONG_CELL = (
    "Line 2 has a cell longer than 131,072 characters, longer than any column of an import. "
    'Check that line for a quote (") that is opened but never closed.'
)
LAUGHS = (
    '<!DOCTYPE sst [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)
EXTERNAL = '<!DOCTYPE sst [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'


def xlsx_with_shared_strings(doctype: str, cell: str) -> bytes:
    """A tickets workbook (code, film) whose cells are shared strings, the code cell being ``cell``
    (entity references allowed) under ``doctype``: what Excel writes, plus the hostile part."""
    book = openpyxl.Workbook()
    book.active.append(["code", "film"])
    book.active.append(["CODE", "elf"])
    plain = io.BytesIO()
    book.save(plain)
    with zipfile.ZipFile(plain) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    for ref, index, text in (("A1", 0, "code"), ("B1", 1, "film"), ("A2", 2, "CODE"), ("B2", 3, "elf")):
        parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
            f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode(),
            f'<c r="{ref}" t="s"><v>{index}</v></c>'.encode(),
        )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        b'Target="sharedStrings.xml" Id="rId9" /></Relationships>',
    )
    strings = "".join(f"<si><t>{text}</t></si>" for text in ("code", "film", cell, "elf"))
    parts["xl/sharedStrings.xml"] = (
        f'<?xml version="1.0"?>\n{doctype}\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="4" uniqueCount="4">{strings}</sst>'
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


HOSTILE = {
    "csv-4-mib-cell": (b"code,film\n" + b"x" * (4 * 1024 * 1024) + b",elf\n", LONG_CELL),
    "xlsx-billion-laughs": (xlsx_with_shared_strings(LAUGHS, "&lol9;"), UNOPENABLE),
    "xlsx-external-entity": (xlsx_with_shared_strings(EXTERNAL, "&secret;"), UNOPENABLE),
}


@pytest.fixture(autouse=True)
def film():
    return FilmFactory(name="Elf", slug="elf")


def test_the_workbook_builder_makes_a_file_that_imports_without_its_doctype(admin_client):
    preview = upload(
        admin_client, "ticket", xlsx_with_shared_strings("", "ELF-1"), name="t.xlsx", file_format=XLSX_FORMAT
    )
    assert preview.context["confirm_form"] is not None, preview.content.decode()


@pytest.mark.parametrize("in_background", [False, True], ids=["inline", "background-size"])
@pytest.mark.parametrize("kind", HOSTILE)
def test_the_upload_form_refuses_a_hostile_file_in_plain_words(admin_client, settings, kind, in_background):
    content, message = HOSTILE[kind]
    if in_background:
        settings.IMPORT_MAX_UPLOAD_BYTES = 100  # a file this big would be checked by the workers
    response = upload(admin_client, "ticket", content, name="t.xlsx" if "xlsx" in kind else "t.csv")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    assert message.replace('"', "&quot;") in html
    assert "Traceback" not in html
    assert not Ticket.objects.exists()
    assert not DataRun.objects.exists()
    assert not DataExchangeLog.objects.exists()


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_background_run_of_a_hostile_file_fails_with_the_message_and_imports_nothing(kind, caplog):
    content, message = HOSTILE[kind]
    run = queued_import(content)
    assert data_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.message == f"{message} Nothing was imported; upload the file again."
    assert not Ticket.objects.exists()
    assert not DataExchangeLog.objects.exists()
    assert "Traceback" not in caplog.text
