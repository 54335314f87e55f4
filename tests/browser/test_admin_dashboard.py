"""The dashboard on the admin's front page, drawn by Chart.js, on a laptop, a phone and in dark mode."""

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from backoffice.campaign.factories import CinemaFactory, FilmFactory, ReservationFactory, ScreeningFactory
from backoffice.campaign.models import Reservation
from backoffice.campaign.services import dashboard
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = 4

# Every chart's canvas has something drawn on it (Chart.js paints nothing until it has data).
DRAWN = """(canvases) => canvases.map((canvas) => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  return canvas.width > 0 && pixels.some((value) => value !== 0);
})"""

# Elements that reach past the right edge of the window (none, when the page does not scroll sideways).
WIDER_THAN_THE_WINDOW = """() => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && el.getClientRects().length)
  .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join(".")}`)
  .slice(0, 10)"""


@pytest.fixture(scope="module", autouse=True)
def _built_dashboard():
    if finders.find("campaign/admin/dashboard.js") is None:
        pytest.fail("The admin's charts are not built: run `npm run build` in frontend/ (make test does it).")


@pytest.fixture
def season():
    """Four films at twelve cinemas, booked over the last two weeks, some screenings full."""
    films = [FilmFactory(name=name) for name in ("Wonka", "The Muppet Christmas Carol", "Arthur Christmas", "Elf")]
    cinemas = [CinemaFactory(name=f"Aberdeen {n:02} - Queens Links Leisure Park") for n in range(1, 13)]
    start = timezone.localtime().replace(hour=18, minute=30, second=0, microsecond=0) + dt.timedelta(days=2)
    for i in range(48):
        screening = ScreeningFactory(
            film=films[i % 4], cinema=cinemas[i % 12], starts_at=start + dt.timedelta(days=i % 7), capacity=8
        )
        for n in range(i % 5):
            reservation = ReservationFactory(screening=screening, quantity=2)
            Reservation.objects.filter(pk=reservation.pk).update(
                created_at=timezone.now() - dt.timedelta(days=(i + n) % 14, hours=n)
            )
    # Figures another test's campaign left in a shared cache (Redis) would stand for a minute.
    cache.delete(dashboard.CACHE_KEY)


def open_dashboard(staff_page, width: int, scheme: str = "light") -> Page:
    page = staff_page(width, scheme)
    expect(page.get_by_role("heading", name="The campaign at a glance")).to_be_visible()
    return page


@pytest.mark.parametrize(("width", "scheme"), [(DESKTOP, "light"), (PHONE, "light"), (DESKTOP, "dark")])
def test_the_dashboard_draws_its_charts_and_passes_axe(staff_page, season, width, scheme, screenshot):
    page = open_dashboard(staff_page, width, scheme)
    assert page.evaluate("document.documentElement.dataset.theme || 'auto'") == ("dark" if scheme == "dark" else "auto")
    canvases = page.locator(".dashboard-chart canvas")
    expect(canvases).to_have_count(CHARTS)
    page.wait_for_function(
        f"document.querySelectorAll('.dashboard-chart canvas').length === {CHARTS} && "
        "[...document.querySelectorAll('.dashboard-chart canvas')].every((c) => c.width > 0)"
    )
    assert canvases.evaluate_all(DRAWN) == [True] * CHARTS
    screenshot(f"admin-dashboard-{width}-{scheme}", of=page)
    scrolls = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not scrolls, f"the page scrolls sideways: {page.evaluate(WIDER_THAN_THE_WINDOW)}"
    for figure in ("Seats booked", "Bookings today", "Screenings sold out", "Emails waiting", "Runs in progress"):
        expect(page.locator(".dashboard-figure__label", has_text=figure)).to_be_visible()
    expect(page.get_by_role("link", name="Download CSV of bookings per day")).to_be_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_a_bar_opens_the_list_behind_it(staff_page, season):
    page = open_dashboard(staff_page, DESKTOP)
    chart = page.locator("#chart-sell-through-per-film").locator("..").locator("canvas")
    expect(chart).to_be_visible()
    page.wait_for_function("[...document.querySelectorAll('.dashboard-chart canvas')].every((c) => c.width > 0)")
    box = chart.bounding_box()
    # The first bar (A to Z: "Arthur Christmas"), in the top row of the horizontal bar chart.
    chart.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.12})
    expect(page).to_have_url(re.compile(r"/admin/campaign/screening/\?film__id__exact=\d+$"))
