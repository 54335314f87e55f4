"""Sold-out columns, sorting and filter on the screening and film changelists."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.factories import CinemaFactory, FilmFactory, ReservationFactory, ScreeningFactory

pytestmark = pytest.mark.django_db

SCREENINGS = reverse("admin:campaign_screening_changelist")
FILMS = reverse("admin:campaign_film_changelist")


@pytest.fixture
def screenings():
    """Three screenings of capacity 4: full (4 reserved), half (2), empty (0)."""
    film = FilmFactory(name="Elf")
    full, half, empty = ScreeningFactory.create_batch(3, film=film, capacity=4)
    ReservationFactory.create_batch(2, screening=full, quantity=2)
    ReservationFactory(screening=half, quantity=2)
    ReservationFactory(screening=half, quantity=0)
    return {"full": full, "half": half, "empty": empty}


def changelist(admin_client, url, **params):
    response = admin_client.get(url, params)
    assert response.status_code == 200
    return response


def column(response, field: str) -> int:
    return response.context["cl"].list_display.index(field)


def test_columns_show_reserved_seats_left_and_sold_out_in_words(admin_client, screenings):
    response = changelist(admin_client, SCREENINGS)
    html = response.content.decode()
    for header in ("Sold out", "Reserved", "Seats left"):
        assert f">{header}</a>" in html
    rows = {s.pk: (s.seats_reserved, s.seats_left, s.sold_out) for s in response.context["cl"].result_list}
    assert rows == {
        screenings["full"].pk: (4, 0, True),
        screenings["half"].pk: (2, 2, False),
        screenings["empty"].pk: (0, 4, False),
    }
    # Words, not Django's green tick for "sold out" and red cross for "available".
    assert 'alt="True"' not in html
    assert 'alt="False"' not in html
    assert html.count('<span class="seat-status seat-status--sold-out">Sold out</span>') == 1
    assert html.count('<span class="seat-status seat-status--available">Available</span>') == 2


@pytest.mark.parametrize(
    ("field", "ascending"),
    [("seats_left", ["full", "half", "empty"]), ("seats_reserved", ["empty", "half", "full"])],
)
def test_columns_sort(admin_client, screenings, field, ascending):
    index = column(changelist(admin_client, SCREENINGS), field)
    up = changelist(admin_client, SCREENINGS, o=str(index)).context["cl"].result_list
    down = changelist(admin_client, SCREENINGS, o=f"-{index}").context["cl"].result_list
    assert list(up) == [screenings[name] for name in ascending]
    assert list(down) == [screenings[name] for name in reversed(ascending)]


def test_sold_out_column_sorts(admin_client, screenings):
    index = column(changelist(admin_client, SCREENINGS), "sold_out")
    first = changelist(admin_client, SCREENINGS, o=f"-{index}").context["cl"].result_list[0]
    assert first == screenings["full"]


def test_sold_out_filter(admin_client, screenings):
    html = changelist(admin_client, SCREENINGS).content.decode()
    assert "By sold out" in html
    yes = changelist(admin_client, SCREENINGS, sold_out="yes").context["cl"].result_list
    no = changelist(admin_client, SCREENINGS, sold_out="no").context["cl"].result_list
    assert set(yes) == {screenings["full"]}
    assert set(no) == {screenings["half"], screenings["empty"]}


def test_film_changelist_shows_upcoming_screenings_sold_out_of_total(admin_client, screenings):
    FilmFactory(name="Muppets")
    html = changelist(admin_client, FILMS).content.decode()
    assert ">Sold out</a>" in html
    assert "1 of 3 upcoming" in html  # Elf
    assert "0 of 0 upcoming" in html  # Muppets


def test_screening_change_form_still_opens(admin_client, screenings):
    url = reverse("admin:campaign_screening_change", args=[screenings["full"].pk])
    assert admin_client.get(url).status_code == 200


def build(rows: int) -> None:
    films = FilmFactory.create_batch(3)
    cinemas = CinemaFactory.create_batch(4)
    for i in range(rows):
        # A day apart: on one day, the date drill-down would show that day with no query of its own.
        starts_at = timezone.now() + dt.timedelta(days=1 + i)
        screening = ScreeningFactory(film=films[i % 3], cinema=cinemas[i % 4], capacity=2, starts_at=starts_at)
        if i % 2:
            ReservationFactory(screening=screening, quantity=1 + i % 3 // 2)


@pytest.mark.parametrize("url", [SCREENINGS, FILMS])
def test_queries_per_page_do_not_grow_with_rows(admin_client, django_assert_max_num_queries, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build(20)
    admin_client.get(url)  # warm the session and permissions
    with CaptureQueriesContext(connection) as few:
        changelist(admin_client, url, o="-1")
    build(280)
    with django_assert_max_num_queries(len(few)):
        changelist(admin_client, url, o="-1")
    with django_assert_max_num_queries(len(few)):
        changelist(admin_client, url, sold_out="yes") if url == SCREENINGS else changelist(admin_client, url)
