"""A spreadsheet run's page follows the run without a reload, then shows its outcome."""

import pytest
from django.contrib.contenttypes.models import ContentType
from playwright.sync_api import expect

from backoffice.campaign.models import DataRun, Ticket
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_run_page_follows_progress_and_shows_the_outcome(staff_page, screenshot, width):
    run = DataRun.objects.create(
        kind=DataRun.Kind.IMPORT,
        phase=DataRun.Phase.APPLY,
        content_type=ContentType.objects.get_for_model(Ticket),
        parameters={"file_name": "tickets.csv", "format": "csv"},
        status=DataRun.Status.RUNNING,
        done=10_000,
        total=100_000,
    )
    page = staff_page(width)
    page.goto(page.url.split("/admin/")[0] + f"/admin/campaign/datarun/{run.pk}/change/")
    expect(page.locator("#run-text")).to_contain_text("10,000 of 100,000 rows: Running")
    expect(page.get_by_role("button", name="Cancel this run")).to_be_visible()

    DataRun.objects.filter(pk=run.pk).update(done=60_000)
    expect(page.locator("#run-text")).to_contain_text("60,000 of 100,000 rows: Running", timeout=10_000)
    screenshot(f"run-page-running-{width}", of=page)

    DataRun.objects.filter(pk=run.pk).update(
        status=DataRun.Status.COMPLETED, done=100_000, message="Import finished: 100,000 new, 0 updated."
    )
    # The page reloads itself once the run has ended: the outcome shows, Cancel is gone.
    expect(page.locator(".run-message")).to_have_text("Import finished: 100,000 new, 0 updated.", timeout=10_000)
    expect(page.get_by_role("button", name="Cancel this run")).to_have_count(0)
    screenshot(f"run-page-done-{width}", of=page)
