"""The public site's layout: nothing moves while a page loads, and a phone gets compact lists.

Layout shift: each page is opened with its API answers held back, so the static shell and then the page's
loading view stay up; then the answers go through and the page's content arrives. A
PerformanceObserver adds up every layout shift over the whole load, at a phone's width and a
laptop's, as Lighthouse measures CLS.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, Route, expect

from backoffice.campaign.factories import CinemaFactory, FilmFactory, ReservationFactory, ScreeningFactory

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEIGHT = {PHONE: 844, DESKTOP: 800}

# Runs before the site's script; an init script is not subject to the page's CSP.
MEASURE_CLS = """
window.__cls = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__cls += entry.value;
  }
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.fixture
def campaign():
    """Enough films for several rows of cards, and cinemas with a mix of times and seats left."""
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) + dt.timedelta(days=3)
    films = [
        FilmFactory(name=name, certificate=cert, running_time=minutes, genre=genre)
        for name, cert, minutes, genre in [
            ("Elf", "PG", 97, "Comedy"),
            ("The Polar Express", "U", 100, "Animation"),
            ("It's a Wonderful Life", "U", 130, "Drama"),
            ("Home Alone", "PG", 103, "Comedy"),
            ("Arthur Christmas", "U", 97, "Animation"),
            ("The Muppet Christmas Carol", "U", 85, "Family"),
        ]
    ]
    cinemas = [
        CinemaFactory(name="York - Vangarde", address="Vangarde Way, York YO32 9AE", lat=53.99, lng=-1.07),
        CinemaFactory(name="Bath - SouthGate", address="SouthGate, Bath BA1 1AN", lat=51.38, lng=-2.36),
        CinemaFactory(name="Aberdeen - Queens Links", address="Links Road, Aberdeen AB24 5EN", lat=57.15, lng=-2.08),
    ]
    for day in range(3):
        for c, cinema in enumerate(cinemas):
            for hours in (0, 4, 8):
                screening = ScreeningFactory(
                    film=films[0],
                    cinema=cinema,
                    starts_at=start + dt.timedelta(days=day, hours=hours + c),
                    capacity=6,
                )
                if (day + hours + c) % 3 == 0:
                    ReservationFactory(screening=screening, quantity=4)  # "Only 2 seats left"
    ScreeningFactory(film=films[1], cinema=cinemas[0], starts_at=start + dt.timedelta(hours=2))
    return {"film": films[0], "cinema": cinemas[0]}


def pages(campaign) -> dict[str, tuple[str, str]]:
    """Each page: its path, and a heading that shows its content has arrived."""
    return {
        "films": ("/", "Elf"),
        "film-detail": (f"/films/{campaign['film'].slug}", "York - Vangarde"),
        "cinemas": ("/cinemas", "Bath - SouthGate"),
        "cinema-detail": (f"/cinemas/{campaign['cinema'].slug}", "York - Vangarde"),
        "privacy": ("/privacy", "Privacy notice"),
    }


def load_slowly(browser: Browser, url: str, width: int, arrived: str) -> Page:
    """Open `url` with its API answers held until its loading view has shown, then let them through."""
    context = browser.new_context(viewport={"width": width, "height": HEIGHT[width]})
    context.add_init_script(MEASURE_CLS)
    page = context.new_page()
    held: list[Route] = []
    page.route("**/api/**", lambda route: held.append(route))
    page.goto(url)
    expect(page.get_by_role("status").filter(has_text="Loading")).to_be_visible()
    page.wait_for_timeout(300)
    page.unroute("**/api/**")
    for route in held:
        route.fallback()
    expect(page.get_by_role("heading", name=arrived, exact=True).first).to_be_visible()
    page.wait_for_timeout(500)  # the footer's contact, the last to arrive
    return page


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_no_page_shifts_while_it_loads(browser: Browser, live_server, campaign, width, screenshot):
    shifts = {}
    for name, (path, arrived) in pages(campaign).items():
        page = load_slowly(browser, live_server.url + path, width, arrived)
        shifts[name] = page.evaluate("window.__cls")
        if name != "privacy":
            screenshot(f"loaded-{name}-{width}", of=page)
        page.context.close()
    assert shifts == dict.fromkeys(shifts, 0), shifts


def test_the_first_paint_needs_no_script(browser: Browser, live_server, campaign):
    """index.html's shell: the site's header and a loading line (src/routes.test.jsx keeps it the app's)."""
    context = browser.new_context(viewport={"width": PHONE, "height": HEIGHT[PHONE]}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/cinemas")
    expect(page.get_by_role("link", name="Skip to content")).to_be_attached()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Cinemas")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("status")).to_have_text("Loading…")
    context.close()


def test_a_phone_shows_several_films_a_screen_and_aligned_times(browser: Browser, live_server, campaign):
    context = browser.new_context(viewport={"width": PHONE, "height": HEIGHT[PHONE]})
    page = context.new_page()
    page.goto(live_server.url + "/")
    cards = page.get_by_role("article")
    expect(cards).to_have_count(6)
    heights = [cards.nth(i).bounding_box()["height"] for i in range(6)]
    assert max(heights) <= 200, heights  # a thumbnail beside the text, not a full-width poster

    page.goto(f"{live_server.url}/films/{campaign['film'].slug}")
    times = page.locator(".timetable .slot")
    expect(times).to_have_count(27)
    boxes = [times.nth(i).bounding_box() for i in range(27)]
    # Every time the same width, "Only 2 seats left" or not, in the same two columns on every day.
    assert {round(box["width"]) for box in boxes} == {round(boxes[0]["width"])}
    assert len({round(box["x"]) for box in boxes}) == 2
    context.close()
