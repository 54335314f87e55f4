"""The staff login page: a refused login reads the same whatever was wrong, and the form reads well on a phone."""

import importlib

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, expect

from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, expect_signed_in

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


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_a_refused_login_reads_the_same_for_a_wrong_password_and_a_missing_code_then_a_code_signs_in(
    browser, live_server, django_user_model, width, screenshot
):
    user = django_user_model.objects.create_superuser("holly", "holly@example.com", PASSWORD)
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    # A one-time recovery code stands for the app's: an app's code could not be used twice in 30 s.
    StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True).token_set.create(token="browser01")
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    notes = []
    for password in ("not the password", PASSWORD):
        page.goto(f"{live_server.url}/admin/login/")
        page.get_by_label("Username").fill("holly")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        notes.append(page.locator(".errornote").all_inner_texts())
    assert notes[0] == notes[1]
    assert len(notes[1]) == 1
    assert "and your authenticator code if you have set one up" in notes[1][0]
    expect(page.get_by_label("Authenticator code")).to_be_visible()
    expect(page.get_by_text("Leave it empty if you have not set up an app.")).to_be_visible()
    screenshot(f"admin-login-refused-{width}", of=page)

    page.get_by_label("Username").fill("holly")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Authenticator code").fill("browser01")
    page.get_by_role("button", name="Log in").click()
    expect_signed_in(page)
    context.close()
