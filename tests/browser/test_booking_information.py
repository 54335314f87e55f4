"""What customers and newcomers are told: screening codes and the booking cut-off on the public
site, and the demo's login page. (That the demo's bookings spread over the dashboard's days is
checked on `make run` itself: scripts/smoke_run.py.)"""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from backoffice.campaign.factories import CinemaFactory, FilmFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import CampaignContact
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_answers():
    # API answers and dashboard figures another test left in a shared cache would stand in for these.
    cache.clear()
    importlib.import_module("backoffice.campaign.migrations.0002_admin_theme").add_theme(apps, None)


@pytest.fixture
def wonka():
    film = FilmFactory(name="Wonka", certificate="PG", running_time=116)
    TicketFactory.create_batch(10, film=film)
    york = CinemaFactory(name="York - Vangarde", address="Vangarde Way, York YO32 9AE", lat=53.99, lng=-1.07)
    bath = CinemaFactory(name="Bath - SouthGate", address="SouthGate, Bath BA1 1AN", lat=51.38, lng=-2.36)
    start = timezone.localtime().replace(hour=14, minute=40, second=0, microsecond=0) + dt.timedelta(days=3)
    screenings = [
        ScreeningFactory(film=film, cinema=cinema, starts_at=start + dt.timedelta(days=day, hours=hours), capacity=40)
        for cinema in (york, bath)
        for day in (0, 1)
        for hours in (0, 4)
    ]
    CampaignContact.objects.create(phone="0800 123 4567", email="bookings@xmasfilms.example")
    return {"film": film, "york": york, "screenings": screenings}


def page_at(browser: Browser, width: int) -> Page:
    return browser.new_context(viewport={"width": width, "height": 900}).new_page()


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_film_page_shows_each_screenings_code_and_when_bookings_close(
    browser, live_server, wonka, width, screenshot
):
    page = page_at(browser, width)
    page.goto(f"{live_server.url}/films/{wonka['film'].slug}")

    expect(page.get_by_text("Bookings close 1 hour before each screening.")).to_be_visible()
    for screening in wonka["screenings"]:
        row = page.locator(f'[data-testid="screening"][data-slug="{screening.slug}"]')
        expect(row.locator(".slot-item__code")).to_have_text(f"Code {screening.code}")
    first = wonka["screenings"][0]
    page.locator(f'[data-testid="screening"][data-slug="{first.slug}"]').get_by_role("button").click()
    expect(page.get_by_role("status").filter(has_text="ask campaign staff")).to_contain_text(
        f"quoting this screening's code: {first.code}."
    )
    assert_accessible(page)
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"), "scrolls sideways"
    screenshot(f"film-page-codes-and-cut-off-{width}", of=page)
    page.context.close()


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_cinema_page_shows_each_screenings_code_and_when_bookings_close(
    browser, live_server, wonka, width, screenshot
):
    page = page_at(browser, width)
    page.goto(f"{live_server.url}/cinemas/{wonka['york'].slug}")

    expect(page.get_by_text("Bookings close 1 hour before each screening.")).to_be_visible()
    for screening in wonka["screenings"][:4]:
        row = page.locator(f'[data-testid="screening"][data-slug="{screening.slug}"]')
        expect(row.locator(".slot-item__code")).to_have_text(f"Code {screening.code}")
    assert_accessible(page)
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"), "scrolls sideways"
    screenshot(f"cinema-page-codes-and-cut-off-{width}", of=page)
    page.context.close()


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_demo_login_page_says_no_authenticator_code_is_needed(browser, live_server, settings, width, screenshot):
    settings.OTP_REQUIRED = False
    page = page_at(browser, width)
    page.goto(f"{live_server.url}/admin/login/")

    expect(page.get_by_text("Not needed here: this server runs without second factors")).to_be_visible()
    assert_accessible(page)
    screenshot(f"demo-login-{width}", of=page)
    page.context.close()
