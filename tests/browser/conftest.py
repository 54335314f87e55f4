"""Browser tests: the built public site, served by Django's live server, in Debian's Chromium.

The site must be built first (`make test-browser` does it): settings pick up frontend/dist at
start-up. No browser is downloaded; Playwright drives the system Chromium.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page

SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.fail("Chromium is needed for browser tests: apt-get install chromium (make test-browser does it).")
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


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API keeps an event loop running in the test's thread, which Django
    takes for async code; the tests' own ORM calls (arranging data) are plain sync code."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="session", autouse=True)
def _built_site():
    if settings.WHITENOISE_ROOT is None or not (Path(settings.WHITENOISE_ROOT) / "index.html").is_file():
        pytest.fail("The public site is not built: run `npm run build` in frontend/ (make test-browser does it).")


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, of: Page | None = None) -> Path:
        """The whole of `of` (a page of another context, e.g. another viewport), or of `page`."""
        path = SCREENSHOTS / f"{name}.png"
        (of or page).screenshot(path=str(path), full_page=True)
        return path

    return take
