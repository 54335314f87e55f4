"""Imports are bounded: upload size, rows and the unpacked size of an XLSX file, refused early."""

import io
import zipfile

import pytest

from backoffice.campaign.factories import FilmFactory
from backoffice.campaign.models import DataExchangeLog, Ticket
from backoffice.campaign.tests.test_admin_import_export import (
    XLSX_FORMAT,
    confirm,
    csv_file,
    import_file,
    upload,
    xlsx_file,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def film():
    return FilmFactory(name="Elf")


@pytest.fixture
def limits(settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 20_000
    settings.IMPORT_MAX_ROWS = 20
    settings.IMPORT_MAX_XLSX_UNPACKED_BYTES = 50_000
    # No background import either: the limits of the workers' imports are the ones a file meets.
    settings.IMPORT_JOB_MAX_UPLOAD_BYTES = 20_000
    settings.IMPORT_JOB_MAX_ROWS = 20
    return settings


def tickets(count: int) -> list[list[str]]:
    return [["code", "film"], *([f"ELF-{i:04d}", "elf"] for i in range(count))]


def refused(response, message: str) -> None:
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    assert message in response.content.decode()
    assert not Ticket.objects.exists()
    assert not DataExchangeLog.objects.exists()


def test_a_file_at_the_limits_imports(admin_client, limits):
    confirm(admin_client, "ticket", import_file(admin_client, "ticket", csv_file(*tickets(20))))
    assert Ticket.objects.count() == 20
    xlsx = xlsx_file(["code", "film"], *([f"X-{i}", "elf"] for i in range(20)))
    confirm(admin_client, "ticket", import_file(admin_client, "ticket", xlsx, name="t.xlsx", file_format=XLSX_FORMAT))
    assert Ticket.objects.count() == 40


def test_a_file_larger_than_the_upload_limit_is_refused(admin_client, limits):
    content = csv_file(["code", "film"], ["ELF-1", "elf" + " " * 30_000])
    assert len(content) == 30_022
    refused(
        upload(admin_client, "ticket", content),
        "The file is 29.3\xa0KB; an import takes files up to 19.5\xa0KB. Split it into smaller files.",
    )


def test_a_csv_with_more_rows_than_the_limit_is_refused(admin_client, limits):
    refused(
        upload(admin_client, "ticket", csv_file(*tickets(21))),
        "The file has more than 20 rows; an import takes at most 20. Split it into smaller files.",
    )


def test_an_xlsx_with_more_rows_than_the_limit_is_refused(admin_client, limits):
    refused(
        upload(admin_client, "ticket", xlsx_file(*tickets(21)), name="t.xlsx", file_format=XLSX_FORMAT),
        "The file has more than 20 rows; an import takes at most 20. Split it into smaller files.",
    )


def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_it_is_opened(admin_client, limits):
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 20_000)  # 120 kB of XML in a few hundred bytes
    assert len(packed.getvalue()) < 2_000  # far below the upload limit
    refused(
        upload(admin_client, "ticket", packed.getvalue(), name="bomb.xlsx", file_format=XLSX_FORMAT),
        "The XLSX file unpacks to 117.2\xa0KB; an import takes at most 48.8\xa0KB unpacked. "
        "Split it into smaller files.",
    )
