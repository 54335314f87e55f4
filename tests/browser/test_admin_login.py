"""The admin's login on a phone: readable help, inputs of one width, buttons a thumb can hit."""

import importlib

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from playwright.sync_api import Browser, expect

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _admin_theme():
    """The admin's theme is data from a migration, which an earlier transactional test emptied."""
    importlib.import_module("backoffice.campaign.migrations.0002_admin_theme").add_theme(apps, None)


def test_the_login_reads_well_on_a_phone(browser: Browser, live_server, screenshot):
    context = browser.new_context(viewport={"width": PHONE, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    code = page.get_by_label("Authenticator code")
    expect(code).to_be_visible()

    help_size = page.get_by_text("From your authenticator app").evaluate("el => getComputedStyle(el).fontSize")
    assert float(help_size.removesuffix("px")) >= 14
    widths = {
        round(field.bounding_box()["width"])
        for field in (page.get_by_label("Username"), page.get_by_label("Password"), code)
    }
    assert len(widths) == 1, widths
    assert page.get_by_role("button", name="Log in").bounding_box()["height"] >= 44
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    screenshot("admin-login-390", of=page)
    context.close()
