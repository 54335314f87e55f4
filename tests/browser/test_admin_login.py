"""The staff login page as a refused login leaves it, on a phone (390 px) and a laptop (1280 px)."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PASSWORD, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_a_refused_login_reads_the_same_for_a_wrong_password_and_a_missing_code(
    browser, live_server, django_user_model, width, screenshot
):
    user = django_user_model.objects.create_superuser("holly", "holly@example.com", PASSWORD)
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
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
    context.close()
