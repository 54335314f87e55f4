"""Cancelling a screening from its page, on a laptop (1280 px) and a phone (390 px): the form, the
screening picker, and the cancelled screening's page, each screenshotted and free of axe violations."""

import pytest
from playwright.sync_api import expect

from backoffice.campaign.factories import CinemaFactory, FilmFactory, TicketFactory
from backoffice.campaign.models import Email, Screening
from backoffice.campaign.tests.booking_support import booked, screening_of
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bad_day():
    """A screening with three bookings, and a later one of the same film with room for them."""
    film = FilmFactory(name="The Muppet Christmas Carol", running_time=85)
    TicketFactory.create_batch(20, film=film)
    cinema = CinemaFactory(name="Aberdeen - Queens Links Leisure Park")
    off = screening_of(film, cinema, day=12, capacity=40)
    later = screening_of(film, cinema, day=13, capacity=40)
    for quantity in (1, 2, 3):
        booked(off, quantity)
    return off, later


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_a_screening_is_cancelled_and_its_bookings_moved_from_its_page(
    staff_page, live_server, bad_day, screenshot, width
):
    off, later = bad_day
    page = staff_page(width)
    page.goto(f"{live_server.url}/admin/campaign/screening/{off.pk}/change/")
    page.get_by_role("link", name="Cancel this screening").click()

    expect(page.get_by_role("heading", name="Cancel this screening")).to_be_visible()
    expect(page.get_by_text("3 bookings, 6 seats, 3 customers")).to_be_visible()
    page.get_by_label("Why is it cancelled?").fill("The projector has broken down.")
    page.get_by_label("Move every booking to another screening").check()
    # The reservation form's picker: type a day, pick the screening it finds.
    page.locator(".field-move_to .select2-selection").click()
    page.locator(".select2-search__field").fill("13 Dec")
    page.locator(".select2-results__option", has_text="Sun 13 Dec").click()
    expect(page.locator(".field-move_to .select2-selection__rendered")).to_contain_text("Sun 13 Dec 18:30")
    assert_accessible(page)
    screenshot(f"admin-screening-cancel-form-{width}", of=page)

    page.get_by_role("button", name="Cancel this screening").click()

    expect(page.locator(".messagelist")).to_contain_text("moved 3 bookings, 6 seats, 3 customers to")
    expect(page.locator(".errornote")).to_contain_text("The projector has broken down.")
    expect(page.get_by_role("link", name="Cancel this screening")).to_have_count(0)
    assert_accessible(page)
    screenshot(f"admin-screening-cancelled-{width}", of=page)
    assert Screening.objects.get(pk=off.pk).is_cancelled
    assert later.reservations.filter(quantity__gt=0).count() == 3
    assert Email.objects.filter(kind=Email.Kind.SCREENING_CANCELLED).count() == 3


def test_a_refused_move_lists_the_bookings_that_do_not_fit(staff_page, live_server, bad_day, screenshot):
    off, later = bad_day
    Screening.objects.filter(pk=later.pk).update(capacity=2)
    page = staff_page(PHONE)
    page.goto(f"{live_server.url}/admin/campaign/screening/{off.pk}/cancel/")
    page.get_by_label("Why is it cancelled?").fill("Snow has closed the road.")
    page.get_by_label("Move every booking to another screening").check()
    page.locator(".field-move_to .select2-selection").click()
    page.locator(".select2-search__field").fill("13 Dec")
    page.locator(".select2-results__option", has_text="Sun 13 Dec").click()

    page.get_by_role("button", name="Cancel this screening").click()

    expect(page.get_by_role("alert")).to_contain_text("2 bookings of 3 would not fit")
    expect(page.locator(".refusals li")).to_have_count(2)
    assert_accessible(page)
    screenshot(f"admin-screening-cancel-refused-{PHONE}", of=page)
    assert not Screening.objects.get(pk=off.pk).is_cancelled


def test_a_selection_of_bookings_is_moved_from_the_reservations_list(staff_page, live_server, bad_day, screenshot):
    _, later = bad_day
    page = staff_page(DESKTOP)
    page.goto(f"{live_server.url}/admin/campaign/reservation/")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("move_reservations")
    page.locator(".actions button[name=index]").click()

    expect(page.get_by_text("3 bookings, 6 seats, 3 customers")).to_be_visible()
    page.locator(".field-screening .select2-selection").click()
    page.locator(".select2-search__field").fill("13 Dec")
    page.locator(".select2-results__option", has_text="Sun 13 Dec").click()
    assert_accessible(page)
    screenshot(f"admin-reservations-move-{DESKTOP}", of=page)
    page.get_by_role("button", name="Move them").click()

    expect(page.locator(".messagelist")).to_contain_text("Moved 3 bookings, 6 seats, 3 customers to")
    assert later.reservations.filter(quantity__gt=0).count() == 3
    assert Email.objects.filter(kind=Email.Kind.UPDATE).count() == 3
