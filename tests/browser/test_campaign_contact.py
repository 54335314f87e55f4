"""The campaign contact on the public site, as a visitor on a laptop or a phone sees it."""

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, expect

from backoffice.campaign.factories import CinemaFactory, FilmFactory, ScreeningFactory
from backoffice.campaign.models import CampaignContact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_a_chosen_screening_says_how_to_reach_campaign_staff(browser: Browser, live_server, width, screenshot):
    CampaignContact.objects.create(
        phone="0800 123 4567",
        email="bookings@xmasfilms.example",
        opening_hours="Monday to Friday, 9am to 5pm",
        text="Have your access code ready when you call.",
    )
    film = FilmFactory(name="Wonka", genre="Family/Adventure/Fantasy")
    start = timezone.localtime().replace(hour=18, minute=30, second=0, microsecond=0) + dt.timedelta(days=3)
    ScreeningFactory(film=film, cinema=CinemaFactory(name="York - Vangarde"), starts_at=start, capacity=50)

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/films/{film.slug}")
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="0800 123 4567")).to_have_attribute("href", "tel:08001234567")

    page.get_by_role("button", name="18:30").click()
    panel = page.get_by_role("status").filter(has_text="ask campaign staff")
    expect(panel.get_by_role("link", name="bookings@xmasfilms.example")).to_be_visible()
    expect(panel).to_contain_text("Have your access code ready when you call.")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"
    assert Axe().run(page).violations_count == 0
    screenshot(f"film-page-how-to-book-{width}", of=page)
    context.close()
