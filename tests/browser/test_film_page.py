"""The film page at last season's size: one film at 98 cinemas, found by town or by distance."""

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from backoffice.campaign.api.cache import api_cache_invalidate
from backoffice.campaign.factories import CinemaFactory, FilmFactory, ScreeningFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEAR_YORK = {"latitude": 53.96, "longitude": -1.08}
PHONE, DESKTOP = 390, 1280


@pytest.fixture
def wonka():
    """One film at 98 cinemas, as imported last season: 147 screenings over ten days."""
    film = FilmFactory(name="Wonka", genre="Family/Adventure/Fantasy", certificate="PG", running_time=116)
    cinemas = [
        CinemaFactory(
            name=f"Town {n:02} - High Street",
            address=f"{n} High Street, Town {n:02} AB{n:02} 1CD",
            lat=50.2 + (n % 10) * 0.75,
            lng=-5 + (n // 10) * 0.6,
        )
        for n in range(1, 98)
    ]
    cinemas.append(CinemaFactory(name="York - Vangarde", address="Vangarde Way, York YO32 9AE", lat=53.99, lng=-1.07))
    first = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    for i, cinema in enumerate(cinemas):
        starts_at = first + dt.timedelta(days=i % 10)
        ScreeningFactory(film=film, cinema=cinema, starts_at=starts_at, capacity=50)
        if i % 2 == 0:
            ScreeningFactory(film=film, cinema=cinema, starts_at=starts_at + dt.timedelta(hours=4, minutes=30))
    return film


@pytest.fixture
def visit(browser: Browser):
    """Open a URL in a fresh context of the given width, located near York; closed afterwards."""
    contexts = []

    def open_page(url: str, width: int) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": 900}, geolocation=NEAR_YORK, permissions=["geolocation"]
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", level=1, name="Wonka")).to_be_visible()
        return page

    yield open_page
    for context in contexts:
        context.close()


def rows(page: Page):
    return page.get_by_test_id("cinema")


def overflows(locator) -> bool:
    return locator.evaluate("(el) => el.scrollWidth > el.clientWidth + 1")


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_film_page_finds_a_town_or_the_nearest_among_98_cinemas(visit, live_server, wonka, width, screenshot):
    page = visit(f"{live_server.url}/films/{wonka.slug}", width)

    expect(page.get_by_text("98 cinemas showing this film")).to_be_visible()
    expect(rows(page)).to_have_count(20)
    expect(page.get_by_role("button", name="Show all 98 cinemas")).to_be_visible()
    # Light on a phone: the page that was 18,000 px long with every cinema in a box.
    assert page.evaluate("document.documentElement.scrollHeight") < 8000
    assert not overflows(page.locator("html")), "the page scrolls sideways"
    assert not overflows(page.locator(".facts__row", has_text="Genre")), "the genre overflows its box"
    assert Axe().run(page).violations_count == 0
    screenshot(f"film-page-{width}", of=page)

    page.get_by_role("searchbox", name="Cinema name or town").fill("york")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("York - Vangarde")

    page.get_by_role("searchbox", name="Cinema name or town").fill("")
    page.get_by_role("button", name="Near me").click()
    expect(page.get_by_text("Nearest cinemas first.")).to_be_visible()
    expect(rows(page).first).to_contain_text("York - Vangarde")
    expect(rows(page).first).to_contain_text("miles away")
    screenshot(f"film-page-near-me-{width}", of=page)

    page.get_by_role("button", name="Sort by name").click()
    page.get_by_role("button", name="Show all 98 cinemas").click()
    expect(rows(page)).to_have_count(98)
    expect(page.get_by_test_id("screening")).to_have_count(147)


def test_film_page_schedule_is_a_row_per_cinema_with_its_times_across(visit, live_server, wonka):
    page = visit(f"{live_server.url}/films/{wonka.slug}", DESKTOP)

    first = rows(page).first
    name = first.get_by_role("heading", level=3).bounding_box()
    times = [slot.bounding_box() for slot in first.get_by_test_id("screening").all()]
    assert len(times) == 2
    # The name, then the times to its right on the same line: not a box stacked under it.
    assert all(abs(box["y"] - times[0]["y"]) < 2 for box in times)
    assert times[0]["x"] > name["x"] + name["width"]
    assert times[0]["y"] < name["y"] + 40
    assert first.bounding_box()["height"] < 140


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_a_cancelled_time_keeps_its_reason_inside_its_cinema_row(visit, live_server, wonka, width, screenshot):
    york = wonka.screenings.filter(cinema__name="York - Vangarde")
    york.update(
        cancelled_at=timezone.now(),
        cancellation_reason="The cinema is closed after a burst pipe flooded the foyer; we are sorry.",
    )
    api_cache_invalidate()  # update() sends no signal
    page = visit(f"{live_server.url}/films/{wonka.slug}", width)

    page.get_by_role("searchbox", name="Cinema name or town").fill("york")
    expect(rows(page)).to_have_count(1)
    slot = rows(page).first.get_by_test_id("screening").first
    expect(slot.get_by_role("button")).to_contain_text("Cancelled")
    expect(slot.get_by_role("button")).to_be_disabled()
    expect(slot).to_contain_text("burst pipe")
    assert not overflows(page.locator("html")), "the page scrolls sideways"
    row, reason = rows(page).first.bounding_box(), slot.locator(".slot-item__reason").bounding_box()
    assert reason["x"] + reason["width"] <= row["x"] + row["width"]
    assert Axe().run(page).violations_count == 0
    screenshot(f"film-page-cancelled-{width}", of=page)
