"""A control character that XLSX cannot hold never fails a whole export."""

import io

import openpyxl
import pytest
import tablib
from django.urls import reverse

from backoffice.campaign.factories import FilmFactory
from backoffice.campaign.resources.formats import CSV, XLSX

pytestmark = pytest.mark.django_db

XLSX_FORMAT = "1"


def test_xlsx_export_replaces_characters_a_workbook_cannot_hold():
    data = tablib.Dataset(headers=["name", "count"])
    data.append(["Tab\tand vertical\x0btab, bell\x07", 3])
    book = openpyxl.load_workbook(io.BytesIO(XLSX().export_data(data)))
    assert [cell.value for cell in book.active[2]] == [
        "Tab\tand vertical\N{REPLACEMENT CHARACTER}tab, bell\N{REPLACEMENT CHARACTER}",
        3,
    ]


def test_csv_export_keeps_them():
    data = tablib.Dataset(headers=["name"])
    data.append(["a\x0bb"])
    assert "a\x0bb" in CSV().export_data(data)


def test_admin_xlsx_export_of_a_name_with_a_control_character_succeeds(admin_client):
    FilmFactory(name="Bad\x0bname")
    FilmFactory(name="Good name")
    form = admin_client.get(reverse("admin:campaign_film_export")).context["form"]
    fields = {name: "on" for name in form.fields if name not in {"resource", "format", "export_items"}}
    response = admin_client.post(
        reverse("admin:campaign_film_export"), {"resource": "0", "format": XLSX_FORMAT, **fields}
    )
    assert response.status_code == 200
    cells = {
        cell
        for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
        for cell in row
    }
    assert {"Bad\N{REPLACEMENT CHARACTER}name", "Good name"} <= cells
