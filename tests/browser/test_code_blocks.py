"""The form that withdraws leaked access codes, on a laptop (1280 px) and a phone (390 px)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from backoffice.campaign.factories import AccessCodeFactory
from backoffice.campaign.models import AccessCode, AccessCodeBlock
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_block_codes_form_fits_reads_and_withdraws(staff_page, live_server, screenshot, width):
    codes = AccessCodeFactory.create_batch(2)
    page = staff_page(width)
    page.goto(f"{live_server.url}/admin/campaign/accesscode/block/")
    expect(page.get_by_role("heading", name="Withdraw or restore access codes")).to_be_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"
    screenshot(f"admin-block-codes-{width}", of=page)

    # A code that does not exist: refused, nothing changed, the error says which.
    page.locator("#id_codes").fill(f"{codes[0].value.lower()}\nBBBB-CCCC-DDDD-FFFF")
    page.locator("#id_reason").fill("Posted on a forum")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist")).to_contain_text("BBBB-CCCC-DDDD-FFFF")
    assert Axe().run(page).violations_count == 0
    screenshot(f"admin-block-codes-error-{width}", of=page)
    assert not AccessCodeBlock.objects.exists()

    page.locator("#id_codes").fill("\n".join(code.value.lower().replace("-", " ") for code in codes))
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messagelist")).to_contain_text("Withdrew 2 access codes.")
    assert AccessCode.objects.filter(blocked_reason="Posted on a forum").count() == 2
