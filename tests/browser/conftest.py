"""Browser tests: the built public site, served by Django's live server, in Debian's Chromium.

The site must be built first (`make test-browser` does it): settings pick up frontend/dist at
start-up. No browser is downloaded; Playwright drives the system Chromium.
"""

import importlib
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from backoffice.campaign.tests.otp_support import verified_login

# SCREENSHOTS_DIR gathers one run's screenshots in a folder of their own (relative to the repository).
SCREENSHOTS = Path(settings.BASE_DIR) / (os.environ.get("SCREENSHOTS_DIR") or "test-artifacts/screenshots")
PHONE, DESKTOP = 390, 1280
PASSWORD = "browser-test-password"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.fail("Chromium is needed for browser tests: apt-get install chromium (make test does it).")
    return {
        **browser_type_launch_args,
        "executable_path": chromium,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


# The browser tests run in parallel processes (make test-browser): on a small machine a page may
# take longer than Playwright's 5 s default to show what a test waits for, without being wrong.
expect.set_options(timeout=15_000)


@pytest.fixture(autouse=True)
def _admin_theme(request):
    """The admin's theme as migration 0002 writes it. A live-server test's database is emptied
    after each test (flush), theme included; a process whose admin first renders after that
    would otherwise draw django-admin-interface's default theme, not the one staff see."""
    if "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from admin_interface.models import Theme
    from django.apps import apps
    from django.core.cache import caches

    importlib.import_module("backoffice.campaign.migrations.0002_admin_theme").add_theme(apps, None)
    caches["admin_interface"].clear()
    assert Theme.objects.get(active=True).name == "Xmas Films"


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API keeps an event loop running in the test's thread, which Django
    takes for async code; the tests' own ORM calls (arranging data) are plain sync code. Once
    Playwright has started, the loop stays for the rest of the process, so the setting does too
    (make test runs other tests in the same processes after the browser ones)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="session", autouse=True)
def _built_site():
    if settings.WHITENOISE_ROOT is None or not (Path(settings.WHITENOISE_ROOT) / "index.html").is_file():
        pytest.fail("The public site is not built: run `npm run build` in frontend/ (make test does it).")


@pytest.fixture
def screenshot(request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, of: Page | None = None) -> Path:
        """The whole of `of` (a page of another context, e.g. another viewport), or of the test's
        `page` (asked for only here: a test that shows its own pages opens no page of Playwright's)."""
        path = SCREENSHOTS / f"{name}.png"
        (of or request.getfixturevalue("page")).screenshot(path=str(path), full_page=True)
        return path

    return take


def expect_signed_in(page: Page) -> None:
    """The admin's header offers a log-out (a link, or the theme's button)."""
    expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))).to_be_attached()


@pytest.fixture
def staff_page(browser: Browser, live_server, django_user_model):
    """A superuser's admin, signed in, on its front page, in a fresh context of the given width.

    The browser is given the session cookie of a login with a verified second factor, as the
    login form leaves it (``verified_login``); the form itself is tested in test_admin_login.py.
    ``scheme="dark"`` is the admin's dark scheme as staff pick it, with the theme toggle in the
    header (kept in localStorage): the theme keeps its pages light when only the system prefers dark.
    """
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", PASSWORD)
    contexts = []

    def open_page(width: int, scheme: str = "light") -> Page:
        client = Client()
        verified_login(client, user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        if scheme == "dark":
            context.add_init_script("localStorage.setItem('theme', 'dark')")
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/")
        expect_signed_in(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
