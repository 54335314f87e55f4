"""The screening picker and the spreadsheet imports as staff meet them with last season's files,
on a laptop (1280 px) and a phone (390 px), each screenshotted: the picker lists what can be
booked first and matches words at their start; a schedule with past rows is imported by
skipping them, without choosing the file again; a naive films file shows its errors and its
ignored columns at once."""

import csv
import datetime as dt
import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from backoffice.campaign.factories import CinemaFactory, FilmFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import Screening
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csv_file(*rows: list) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def at(days: float, hour: int = 18, minute: int = 30) -> dt.datetime:
    day = timezone.localtime() + dt.timedelta(days=days)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


@pytest.fixture
def schedule():
    elf, wonka = FilmFactory(name="Elf"), FilmFactory(name="Wonka")
    for film in (elf, wonka):
        TicketFactory.create_batch(4, film=film)
    york, london, belfast = (
        CinemaFactory(name=name)
        for name in ("York - Vangarde", "London - Leicester Square", "Belfast - Dublin Road Cineworld")
    )
    ScreeningFactory(film=elf, cinema=york, starts_at=at(-365))  # last season
    ScreeningFactory(film=elf, cinema=york, starts_at=timezone.now() + dt.timedelta(minutes=30))  # closed
    ScreeningFactory(film=elf, cinema=london, starts_at=at(3))
    ScreeningFactory(film=elf, cinema=york, starts_at=at(2))
    ScreeningFactory(film=wonka, cinema=belfast, starts_at=at(2))


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_the_screening_picker_lists_bookable_screenings_first_and_matches_word_starts(
    staff_page, live_server, schedule, screenshot, width
):
    page = staff_page(width)
    page.goto(f"{live_server.url}/admin/campaign/reservation/add/")
    page.locator(".field-screening .select2-selection").click()
    page.locator(".select2-search__field").fill("elf")
    options = page.locator(".select2-results__option")
    expect(options).to_have_count(4)
    texts = options.all_inner_texts()
    assert [text.split(" · ")[1] for text in texts] == [
        "York - Vangarde",
        "London - Leicester Square",
        "York - Vangarde",
        "York - Vangarde",
    ]
    assert [text.rsplit(" · ", 1)[1] for text in texts] == ["10 left", "10 left", "bookings closed", "past"]
    assert not any("Belfast" in text for text in texts)
    screenshot(f"admin-screening-picker-elf-{width}", of=page)


def schedule_file() -> bytes:
    FilmFactory(name="Elf")
    CinemaFactory(name="York - Vangarde")
    past = [("2025-12-19 18:30", "40"), ("2025-12-20 11:00", "40"), (f"{at(-1):%Y-%m-%d %H:%M}", "40")]
    coming = [(f"{at(n):%Y-%m-%d %H:%M}", "40") for n in (2, 3, 4)]
    return csv_file(["film", "cinema", "start", "capacity"], *(["elf", "york-vangarde", *row] for row in past + coming))


def choose(page: Page, name: str, content: bytes) -> None:
    page.locator("select[name=format]").select_option(label="csv")
    page.locator("input[name=import_file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_a_schedule_with_past_rows_is_imported_by_skipping_them_without_choosing_it_again(
    staff_page, live_server, screenshot, width
):
    page = staff_page(width)
    page.goto(f"{live_server.url}/admin/campaign/screening/import/")
    choose(page, "schedule-2026.csv", schedule_file())
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("3 rows have errors, so nothing was imported")).to_be_visible()
    expect(page.get_by_text("or tick “Skip rows in the past”").first).to_be_visible()
    expect(page.locator(".import-kept-file")).to_contain_text("File checked: schedule-2026.csv")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    screenshot(f"admin-screening-import-past-rows-refused-{width}", of=page)

    page.get_by_label("Skip rows in the past").check()
    page.get_by_role("button", name="Submit").click()  # no file chosen: the kept one is checked again
    expect(page.get_by_text("3 new, 0 updated, 0 unchanged or empty, 3 in the past, skipped.")).to_be_visible()
    expect(page.locator("table.import-preview tbody tr")).to_have_count(3)
    screenshot(f"admin-screening-import-past-rows-skipped-{width}", of=page)

    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Import finished: 3 new, 0 updated, 0 unchanged or empty, 3 in the past, skipped (screenings)."
    )
    assert Screening.objects.count() == 3
    screenshot(f"admin-screening-import-past-rows-done-{width}", of=page)


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_a_naive_films_file_shows_its_errors_and_ignored_columns_at_once_and_is_kept(
    staff_page, live_server, screenshot, width
):
    page = staff_page(width)
    page.goto(f"{live_server.url}/admin/campaign/film/import/")
    naive = csv_file(
        ["name", "release_year", "certificate", "running_time", "director", "Trailer URL", "poster"],
        ["Elf", "2003", "PG", "97 mins", "Jon Favreau", "https://example.org/elf", "elf.jpg"],
        ["Klaus", "2019", "PG", "1h 36m", "Sergio Pablos", "", "klaus.jpg"],
        ["Wonka", "2023", "PG", "116", "Paul King", "", ""],
    )
    choose(page, "films-from-the-distributor.csv", naive)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("2 rows have errors, so nothing was imported")).to_be_visible()
    expect(page.locator(".import-ignored-columns")).to_contain_text(
        "Ignored columns, not imported: director, Trailer URL, poster."
    )
    expect(page.locator(".import-row-errors li")).to_have_count(2)
    expect(page.locator(".import-kept-file")).to_contain_text("File checked: films-from-the-distributor.csv")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"
    screenshot(f"admin-film-import-naive-file-{width}", of=page)
