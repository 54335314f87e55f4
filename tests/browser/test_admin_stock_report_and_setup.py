"""Three admin pages at 1280 and 390 px: the dashboard's ticket stock, the end-of-campaign report,
and the authenticator set-up page."""

import datetime as dt
import importlib
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from backoffice.campaign.factories import (
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import AccessCode, AccessCodeBatch
from backoffice.campaign.services import campaign_report, dashboard
from backoffice.campaign.tests.codes_support import codes_bulk_insert
from tests.browser.conftest import DESKTOP, PASSWORD, PHONE
from tests.browser.test_admin_dashboard import WIDER_THAN_THE_WINDOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _admin_theme():
    """The admin's theme is data from a migration, which an earlier transactional test emptied."""
    importlib.import_module("backoffice.campaign.migrations.0002_admin_theme").add_theme(apps, None)


@pytest.fixture
def campaign():
    """Wonka short of tickets (36 free, one void, for 1,237 seats still offered), Elf with enough,
    bookings from a code batch: figures in the thousands."""
    later = timezone.now() + dt.timedelta(days=2)
    wonka, elf = FilmFactory(name="Wonka"), FilmFactory(name="Elf")
    york, leeds = CinemaFactory(name="York - Vangarde"), CinemaFactory(name="Leeds - Kirkstall Road")
    showing = ScreeningFactory(film=wonka, cinema=york, starts_at=later, capacity=1240)
    batch = AccessCodeBatch.objects.create(requested_count=1500, created_count=1500, film=None, status="completed")
    codes_bulk_insert(batch, 1500, start=1)
    ReservationFactory(screening=showing, quantity=3, access_code=AccessCode.objects.filter(batch=batch).first())
    TicketFactory.create_batch(36, film=wonka)
    TicketFactory(film=wonka, issued_at=timezone.now())  # void: not free
    ScreeningFactory(film=elf, cinema=leeds, starts_at=later, capacity=10)
    TicketFactory.create_batch(12, film=elf)
    cache.delete_many([dashboard.CACHE_KEY, campaign_report.CACHE_KEY])


def scrolls_sideways(page: Page) -> list[str]:
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
        return page.evaluate(WIDER_THAN_THE_WINDOW) or ["(the page)"]
    return []


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_dashboard_and_the_films_list_flag_a_film_short_of_tickets(
    staff_page, live_server, campaign, width, screenshot
):
    page = staff_page(width)
    stock = page.locator(".dashboard-stock")
    expect(stock).to_be_visible()
    wonka = stock.get_by_role("row", name=re.compile("Wonka"))
    expect(wonka).to_contain_text("short")
    expect(wonka).to_contain_text("1,237")
    expect(stock.get_by_role("row", name=re.compile("Elf"))).not_to_contain_text("short")
    stock.scroll_into_view_if_needed()
    screenshot(f"dashboard-ticket-stock-{width}", of=page)
    assert scrolls_sideways(page) == []

    wonka.get_by_role("link", name="Wonka").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(36)  # free ones only, the void one left out

    # The films list flags the same film, by the same rule.
    page.goto(f"{live_server.url}/admin/campaign/film/")
    rows = page.locator("#result_list tbody tr")
    expect(rows.filter(has_text="Wonka")).to_contain_text("Short 1,237 seats offered")
    expect(rows.filter(has_text="Elf")).not_to_contain_text("Short")
    screenshot(f"films-ticket-stock-{width}", of=page)


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_report_groups_thousands_and_fits_a_phone(staff_page, campaign, width, screenshot):
    page = staff_page(width)
    page.get_by_role("link", name="End-of-campaign report").click()
    expect(page.get_by_role("heading", name="End-of-campaign report")).to_be_visible()
    whole = page.locator("table", has=page.locator("caption", has_text="The whole campaign"))
    expect(whole).to_contain_text("1,250")  # seats offered
    expect(whole).to_contain_text("1,500")  # codes issued
    expect(whole.locator("tbody")).not_to_contain_text("%")  # the rate is a number under its "(%)" heading
    screenshot(f"campaign-report-{width}", of=page)
    assert scrolls_sideways(page) == []


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_set_up_page_groups_the_key_and_logs_out(
    browser: Browser, live_server, django_user_model, width, screenshot
):
    user = django_user_model.objects.create_user("holly", password=PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_accesscode", "view_reservation"]))
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("holly")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    key = page.locator("code.otp-key").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4}){7}", key), key
    screenshot(f"authenticator-set-up-{width}", of=page)
    assert scrolls_sideways(page) == []

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Username")).to_be_visible()
    page.goto(f"{live_server.url}/admin/otp/setup/")
    expect(page.get_by_label("Username")).to_be_visible()  # logged out: the password is asked again
    context.close()
