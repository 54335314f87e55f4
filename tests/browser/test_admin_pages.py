"""The admin pages staff live in, at last season's size, on a laptop (1280 px) and a phone (390 px)."""

import csv
import datetime as dt
import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from backoffice.campaign.factories import CinemaFactory, FilmFactory, ReservationFactory, ScreeningFactory
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


LONG_DESCRIPTION = (
    "When Willy Wonka arrives in a town famous for its chocolate with nothing but a hatful of dreams, "
    "he discovers that the industry is run by a cartel of greedy chocolatiers. With the help of an "
    "orphan named Noodle he sets out to change the world, one delicious bite at a time. "
) * 2


def within_view(page: Page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 1


@pytest.fixture
def season():
    films = [
        FilmFactory(name=name, genre="Family/Adventure/Fantasy", certificate="PG", running_time=116)
        for name in ("Wonka", "The Muppet Christmas Carol", "Arthur Christmas", "The Polar Express")
    ]
    cinemas = [CinemaFactory(name=f"Aberdeen {n:02} - Queens Links Leisure Park") for n in range(1, 11)]
    start = timezone.localtime().replace(hour=18, minute=30, second=0, microsecond=0) + dt.timedelta(days=3)
    for i in range(40):
        screening = ScreeningFactory(
            film=films[i % 4], cinema=cinemas[i % 10], starts_at=start + dt.timedelta(days=i % 7), capacity=4
        )
        if i % 5 == 0:
            ReservationFactory(screening=screening, quantity=4)


@pytest.mark.parametrize(
    ("model", "headers"),
    [("screening", ["Reserved", "Seats left", "Sold out"]), ("film", ["Sold out", "Stock"])],
)
def test_lists_show_their_seat_columns_at_1280_with_the_side_menu_open(
    staff_page, live_server, season, model, headers, screenshot
):
    page = staff_page(DESKTOP)
    page.goto(f"{live_server.url}/admin/campaign/{model}/")
    expect(page.locator("#nav-sidebar")).to_be_visible()
    for header in headers:
        column = page.locator("#result_list thead th", has_text=header)
        expect(column).to_be_visible()
        assert within_view(page, column), f"{header} is off screen"
    assert page.locator(".results").evaluate("(el) => el.scrollWidth <= el.clientWidth + 1"), (
        "the list scrolls sideways"
    )
    screenshot(f"admin-{model}-list-{DESKTOP}", of=page)


DARK_PAGES = {
    "screenings": "/admin/campaign/screening/",
    "reservations": "/admin/campaign/reservation/",
    "codes": "/admin/campaign/accesscode/",
    "runs": "/admin/runs/",
}


def test_text_stays_readable_in_the_dark_scheme(staff_page, live_server, season, screenshot):
    # The theme's colours are made for a light page: dark green links, grey headings, white menus.
    page = staff_page(DESKTOP, "dark")
    for name, path in DARK_PAGES.items():
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        results = Axe().run(page, options={"runOnly": ["color-contrast"], "resultTypes": ["violations"]})
        assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    page.goto(f"{live_server.url}{DARK_PAGES['screenings']}")
    screenshot(f"admin-screening-list-{DESKTOP}-dark", of=page)


def films_file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "name",
            "release_year",
            "genre",
            "certificate",
            "running_time",
            "showing_from",
            "description",
            "copyright",
            "live",
        ]
    )
    for name in ("Wonka", "The Muppet Christmas Carol", "Arthur Christmas", "The Polar Express"):
        writer.writerow(
            [
                name,
                "2023",
                "Family/Adventure/Fantasy",
                "PG",
                "116",
                "From 1 December",
                LONG_DESCRIPTION,
                "© Warner Bros. Entertainment Inc. All rights reserved.",
                "yes",
            ]
        )
    return out.getvalue().encode()


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_films_import_preview_with_real_descriptions_is_usable(staff_page, live_server, width, screenshot):
    page = staff_page(width)
    page.goto(f"{live_server.url}/admin/campaign/film/import/")
    page.locator("select[name=format]").select_option(label="csv")
    page.locator("input[name=import_file]").set_input_files(
        files=[{"name": "films.csv", "mimeType": "text/csv", "buffer": films_file()}]
    )
    page.locator("input[type=submit]").first.click()
    expect(page.get_by_text("4 new, 0 updated, 0 unchanged or empty")).to_be_visible()

    # Long text is shortened, and the whole of it is there on hover.
    description = page.locator("table.import-preview tbody td").filter(has_text="When Willy Wonka").first
    assert description.get_attribute("title").strip() == LONG_DESCRIPTION.strip()
    assert description.bounding_box()["height"] < 60
    assert description.bounding_box()["width"] < 400

    # The table scrolls sideways inside the page, so the last column can be reached.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"
    live = page.locator("table.import-preview thead th", has_text="live")
    live.scroll_into_view_if_needed()
    assert within_view(page, live), "the live column cannot be reached"
    page.locator("table.import-preview").evaluate("(el) => { el.scrollLeft = 0; el.parentElement.scrollLeft = 0; }")
    screenshot(f"admin-films-import-preview-{width}", of=page)

    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_text("Import finished: 4 new")).to_be_visible()
