"""The public site as a visitor sees it: real Chromium, the built app, real API data."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import CampaignContact, Reservation
from tests.browser.accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def campaign():
    elf = FilmFactory(name="Elf", certificate="PG", running_time=97, genre="Comedy")
    FilmFactory(name="The Unreleased Sequel", live=False)
    york = CinemaFactory(name="York - Vangarde", address="Vangarde Way, York YO32 9AE", lat=53.99, lng=-1.07)
    bath = CinemaFactory(name="Bath - SouthGate", address="SouthGate, Bath BA1 1AN", lat=51.38, lng=-2.36)
    start = timezone.localtime().replace(hour=18, minute=30, second=0, microsecond=0) + dt.timedelta(days=3)
    full = ScreeningFactory(film=elf, cinema=york, starts_at=start, capacity=4)
    ReservationFactory(screening=full, quantity=4)
    open_ = ScreeningFactory(film=elf, cinema=york, starts_at=start + dt.timedelta(days=1), capacity=4)
    nearly = ScreeningFactory(film=elf, cinema=bath, starts_at=start, capacity=5)
    ReservationFactory(screening=nearly, quantity=3)
    TicketFactory.create_batch(10, film=elf)
    return {"film": elf, "full": full, "open": open_, "nearly": nearly, "york": york}


def screening(page: Page, slug: str):
    return page.locator(f'[data-testid="screening"][data-slug="{slug}"]')


def test_films_page_lists_live_films_only(page: Page, live_server, campaign, screenshot):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Elf")).to_be_visible()
    expect(page.get_by_text("The Unreleased Sequel")).to_have_count(0)
    assert_accessible(page)
    screenshot("films")


def test_film_page_marks_sold_out_and_offers_the_rest(page: Page, live_server, campaign, screenshot):
    page.goto(f"{live_server.url}/films/{campaign['film'].slug}")
    expect(screening(page, campaign["full"].slug)).to_have_attribute("data-sold-out", "true")
    expect(screening(page, campaign["full"].slug)).to_contain_text("Sold out")
    expect(screening(page, campaign["open"].slug)).to_have_attribute("data-sold-out", "false")
    expect(screening(page, campaign["nearly"].slug)).to_contain_text("2 seats left")
    assert_accessible(page)
    screenshot("film-detail")


def test_a_screening_shows_sold_out_once_its_last_seats_are_reserved(page: Page, live_server, campaign, browser):
    url = f"{live_server.url}/films/{campaign['film'].slug}"
    page.goto(url)
    expect(screening(page, campaign["open"].slug)).to_have_attribute("data-sold-out", "false")

    Reservation.objects.create(
        screening=campaign["open"],
        access_code=AccessCodeFactory(),
        quantity=4,
        name="Holly Berry",
        email="holly@example.com",
    )

    # A new visitor, with no browser cache: what the server now says.
    fresh = browser.new_context().new_page()
    fresh.goto(url)
    expect(screening(fresh, campaign["open"].slug)).to_have_attribute("data-sold-out", "true")
    fresh.context.close()


def test_deep_links_survive_a_reload(page: Page, live_server, campaign, screenshot):
    page.goto(f"{live_server.url}/cinemas/{campaign['york'].slug}")
    expect(page.get_by_role("heading", name="York - Vangarde", level=1)).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="York - Vangarde", level=1)).to_be_visible()
    expect(screening(page, campaign["full"].slug)).to_have_attribute("data-sold-out", "true")
    assert_accessible(page)
    screenshot("cinema")


def test_cinema_search_page(page: Page, live_server, campaign, screenshot):
    page.goto(f"{live_server.url}/cinemas")
    expect(page.get_by_text("Bath - SouthGate")).to_be_visible()
    page.get_by_role("searchbox").fill("york")
    expect(page.get_by_text("York - Vangarde")).to_be_visible()
    expect(page.get_by_text("Bath - SouthGate")).to_have_count(0)
    assert_accessible(page)
    screenshot("cinemas")


def test_unknown_pages_say_not_found(page: Page, live_server, campaign, screenshot):
    page.goto(f"{live_server.url}/no/such/page")
    expect(page.get_by_role("heading", level=1)).to_contain_text("not found", ignore_case=True)
    page.goto(f"{live_server.url}/films/no-such-film")
    expect(page.get_by_role("heading", level=1)).to_contain_text("not found", ignore_case=True)
    assert_accessible(page)
    screenshot("not-found")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_footer_leads_to_the_privacy_notice_staff_wrote(browser, live_server, campaign, width, screenshot):
    CampaignContact.objects.create(
        email="bookings@xmasfilms.example",
        privacy_notice="We keep your name and email address to send you your tickets.\n\n"
        "<b>Thirty days</b> after your screening they are replaced with anonymous values.",
    )
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("contentinfo").get_by_role("link", name="Privacy notice").click()

    expect(page).to_have_url(f"{live_server.url}/privacy")
    expect(page.get_by_role("heading", name="Privacy notice", level=1)).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_text("<b>Thirty days</b> after your screening")).to_be_visible()  # text, not markup
    expect(main.locator("b")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"
    assert_accessible(page)
    screenshot(f"privacy-{width}", of=page)
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_cancelled_and_closed_screenings_and_an_ended_run_say_so_in_words(
    browser, live_server, campaign, width, screenshot
):
    york, elf = campaign["york"], campaign["film"]
    start = campaign["open"].starts_at + dt.timedelta(hours=2)
    cancelled = ScreeningFactory(
        film=elf,
        cinema=york,
        starts_at=start,
        cancelled_at=timezone.now(),
        cancellation_reason="The screen is closed for repairs.",
    )
    closed = ScreeningFactory(film=elf, cinema=york, starts_at=timezone.now() + dt.timedelta(minutes=30), capacity=9)
    ended = FilmFactory(name="Scrooge")
    ScreeningFactory(film=ended, cinema=york, starts_at=timezone.now() - dt.timedelta(days=1))
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()

    page.goto(f"{live_server.url}/cinemas/{york.slug}")
    expect(screening(page, cancelled.slug).get_by_role("button")).to_have_text(re.compile(r"\d\d:\d\d Cancelled"))
    expect(screening(page, cancelled.slug).get_by_role("button")).to_be_disabled()
    expect(screening(page, cancelled.slug)).to_contain_text("The screen is closed for repairs.")
    expect(screening(page, cancelled.slug)).not_to_contain_text("Sold out")
    expect(screening(page, closed.slug).get_by_role("button")).to_have_text(re.compile(r"\d\d:\d\d Bookings closed"))
    expect(screening(page, closed.slug).get_by_role("button")).to_be_disabled()
    assert_accessible(page)
    screenshot(f"cinema-cancelled-closed-{width}", of=page)

    page.goto(f"{live_server.url}/films/{elf.slug}")
    expect(screening(page, cancelled.slug)).to_contain_text("Cancelled")
    expect(screening(page, closed.slug)).to_contain_text("Bookings closed")
    assert not page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    assert_accessible(page)
    screenshot(f"film-cancelled-closed-{width}", of=page)

    page.goto(live_server.url + "/")
    card = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Scrooge"))
    expect(card).to_contain_text("Its run has ended")
    expect(card).not_to_contain_text("coming soon")
    screenshot(f"films-run-ended-{width}", of=page)
    page.context.close()
