"""Access codes leave the admin like every other export: CSV or XLSX, escaped, and logged."""

import csv
import io

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from backoffice.campaign.factories import AccessCodeFactory, FilmFactory
from backoffice.campaign.models import AccessCode, AccessCodeBatch, DataExchangeLog
from backoffice.campaign.services.access_codes import access_code_batch_csv, access_codes_generate

pytestmark = pytest.mark.django_db

FIELDS = ["value", "max_usages", "film", "batch", "created_at"]


def export_codes(client, file_format: str = "0"):
    data = {"format": file_format, "resource": "0", **{f"accesscoderesource_{name}": "on" for name in FIELDS}}
    return client.post(reverse("admin:campaign_accesscode_export"), data)


@pytest.mark.parametrize("model", [AccessCode, AccessCodeBatch])
def test_codes_and_batches_export_as_csv_or_xlsx_only(model):
    formats = admin.site.get_model_admin(model).get_export_formats()
    assert [fmt().get_extension() for fmt in formats] == ["csv", "xlsx"]


def test_an_export_of_codes_is_logged(admin_client, admin_user):
    AccessCodeFactory.create_batch(3)
    response = export_codes(admin_client)
    assert response.status_code == 200
    log = DataExchangeLog.objects.get()
    assert (log.user, log.action, log.content_type, log.file_format, log.rows) == (
        admin_user,
        DataExchangeLog.Action.EXPORT,
        ContentType.objects.get_for_model(AccessCode),
        "csv",
        3,
    )


@pytest.mark.parametrize("slug", ["-cmd", "+cmd", "@cmd", "=cmd"])
def test_a_film_slug_a_spreadsheet_would_run_is_escaped_in_the_admin_export(admin_client, slug):
    AccessCodeFactory(valid_for=FilmFactory(slug=slug))
    rows = list(csv.DictReader(io.StringIO(export_codes(admin_client).content.decode())))
    assert [row["film"] for row in rows] == ["'" + slug]


@pytest.mark.parametrize("slug", ["-cmd", "+cmd", "@cmd", "=cmd"])
def test_a_film_slug_a_spreadsheet_would_run_is_escaped_in_the_generated_csv(slug):
    batch = access_codes_generate(count=3, film=FilmFactory(slug=slug), source=AccessCodeBatch.Source.COMMAND)
    rows = list(csv.DictReader(io.StringIO("".join(access_code_batch_csv(batch=batch)))))
    assert [row["film"] for row in rows] == ["'" + slug] * 3


def test_a_hand_typed_code_a_spreadsheet_would_run_is_escaped_too():
    batch = access_codes_generate(count=1, source=AccessCodeBatch.Source.COMMAND)
    AccessCode.objects.filter(batch=batch).update(value="-1+2")
    rows = list(csv.DictReader(io.StringIO("".join(access_code_batch_csv(batch=batch)))))
    assert [row["code"] for row in rows] == ["'-1+2"]
