import datetime as dt

import pytest
from django.utils import timezone

from backoffice.campaign.factories import (
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
)
from backoffice.campaign.models import Film, Screening

pytestmark = pytest.mark.django_db


def annotated(screening: Screening) -> Screening:
    return Screening.objects.with_sold_out().get(pk=screening.pk)


def past(**kwargs) -> Screening:
    return ScreeningFactory(starts_at=timezone.now() - dt.timedelta(days=1), **kwargs)


def test_a_screening_without_reservations_has_every_seat_left():
    screening = annotated(ScreeningFactory(capacity=10))
    assert (screening.seats_reserved, screening.seats_left, screening.sold_out) == (0, 10, False)


def test_reserved_seats_are_the_sum_of_quantities_and_cancellations_hold_none():
    screening = ScreeningFactory(capacity=10)
    ReservationFactory(screening=screening, quantity=3)
    ReservationFactory(screening=screening, quantity=4)
    ReservationFactory(screening=screening, quantity=0)
    screening = annotated(screening)
    assert (screening.seats_reserved, screening.seats_left, screening.sold_out) == (7, 3, False)


def test_capacity_zero_is_sold_out():
    screening = annotated(ScreeningFactory(capacity=0))
    assert (screening.seats_reserved, screening.seats_left, screening.sold_out) == (0, 0, True)


def test_seats_left_never_goes_negative():
    # Rows written past the booking checks (e.g. an old import): still sold out, 0 left, not -2.
    screening = ScreeningFactory(capacity=2)
    ReservationFactory(screening=screening, quantity=4)
    screening = annotated(screening)
    assert (screening.seats_reserved, screening.seats_left, screening.sold_out) == (4, 0, True)


def test_sold_out_flips_on_the_last_seat_and_back_on_cancellation():
    screening = ScreeningFactory(capacity=5)
    ReservationFactory(screening=screening, quantity=4)
    assert annotated(screening).sold_out is False

    last = ReservationFactory(screening=screening, quantity=1)
    assert annotated(screening).sold_out is True
    assert annotated(screening).seats_left == 0

    last.quantity = 0
    last.save(update_fields=["quantity"])
    assert annotated(screening).sold_out is False
    assert annotated(screening).seats_left == 1


def test_one_query_for_many_screenings(django_assert_num_queries):
    screenings = ScreeningFactory.create_batch(30, capacity=4)
    for screening in screenings[::2]:
        ReservationFactory(screening=screening, quantity=4)
    with django_assert_num_queries(1):
        rows = list(Screening.objects.with_sold_out())
    assert len(rows) == 30
    assert sum(row.sold_out for row in rows) == 15


def test_chains_with_filters_ordering_and_select_related_without_multiplying_rows(django_assert_num_queries):
    film = FilmFactory()
    full = ScreeningFactory(film=film, capacity=2)
    half = ScreeningFactory(film=film, capacity=4)
    empty = ScreeningFactory(film=film, capacity=4)
    ScreeningFactory(capacity=1)  # another film
    ReservationFactory.create_batch(2, screening=full, quantity=1)
    ReservationFactory.create_batch(2, screening=half, quantity=1)

    with django_assert_num_queries(1):
        rows = list(
            Screening.objects.select_related("film", "cinema")
            .filter(film=film)
            .with_sold_out()
            .filter(seats_left__lt=4)
            .order_by("seats_left")
        )
        names = {row.film.name for row in rows} | {row.cinema.name for row in rows}
    assert [(row.pk, row.seats_reserved, row.seats_left) for row in rows] == [(full.pk, 2, 0), (half.pk, 2, 2)]
    assert film.name in names
    assert Screening.objects.with_sold_out().filter(film=film).count() == 3
    assert Screening.objects.filter(film=film).with_sold_out().order_by("-seats_left", "pk").first() == empty


def test_sold_out_and_available_split_the_screenings_in_one_query_each(django_assert_num_queries):
    full = ScreeningFactory(capacity=1)
    ReservationFactory(screening=full, quantity=1)
    closed = ScreeningFactory(capacity=0)
    open_ = ScreeningFactory(capacity=3)
    ReservationFactory(screening=open_, quantity=2)
    untouched = ScreeningFactory(capacity=3)

    with django_assert_num_queries(1):
        assert set(Screening.objects.sold_out()) == {full, closed}
    with django_assert_num_queries(1):
        assert set(Screening.objects.available()) == {open_, untouched}
    assert set(Screening.objects.with_sold_out().filter(sold_out=True)) == {full, closed}
    # Already annotated querysets are filtered as they are, not annotated twice.
    assert [s.seats_left for s in Screening.objects.with_sold_out().available().order_by("seats_left")] == [1, 3]


def cancelled(**kwargs) -> Screening:
    return ScreeningFactory(cancelled_at=timezone.now(), cancellation_reason="Projector fault.", **kwargs)


def test_a_cancelled_screening_is_neither_sold_out_nor_available():
    full_then_cancelled = cancelled(capacity=1)
    ReservationFactory(screening=full_then_cancelled, quantity=1)
    empty_then_cancelled = cancelled(capacity=3)
    on = ScreeningFactory(capacity=3)

    assert annotated(full_then_cancelled).sold_out is False
    assert set(Screening.objects.sold_out()) == set()
    assert set(Screening.objects.available()) == {on}
    assert set(Screening.objects.not_cancelled()) == {on}
    assert {empty_then_cancelled, full_then_cancelled} <= set(Screening.objects.public())


def test_public_screenings_are_upcoming_and_of_live_films():
    shown = ScreeningFactory()
    past()
    ScreeningFactory(film=FilmFactory(live=False))
    assert list(Screening.objects.public()) == [shown]


def films_by_name() -> dict[str, Film]:
    return {film.name: film for film in Film.objects.with_sold_out()}


def test_a_film_is_sold_out_when_every_upcoming_screening_is():
    film = FilmFactory(name="Elf")
    first, second = ScreeningFactory.create_batch(2, film=film, capacity=1)
    ReservationFactory(screening=first, quantity=1)

    elf = films_by_name()["Elf"]
    assert (elf.screenings_total, elf.screenings_sold_out, elf.sold_out) == (2, 1, False)

    ReservationFactory(screening=second, quantity=1)
    elf = films_by_name()["Elf"]
    assert (elf.screenings_total, elf.screenings_sold_out, elf.sold_out) == (2, 2, True)


def test_past_screenings_do_not_count_for_a_film():
    film = FilmFactory(name="Elf")
    done = past(film=film, capacity=1)
    ReservationFactory(screening=done, quantity=1)
    ScreeningFactory(film=film, capacity=5)
    elf = films_by_name()["Elf"]
    assert (elf.screenings_total, elf.screenings_sold_out, elf.sold_out) == (1, 0, False)


def test_a_film_without_upcoming_screenings_is_not_sold_out():
    FilmFactory(name="Elf")
    only_past = FilmFactory(name="Scrooge")
    gone = past(film=only_past, capacity=1)
    ReservationFactory(screening=gone, quantity=1)
    films = films_by_name()
    assert (films["Elf"].screenings_total, films["Elf"].sold_out) == (0, False)
    assert (films["Scrooge"].screenings_total, films["Scrooge"].sold_out) == (0, False)


def test_film_counts_take_one_query_for_many_films(django_assert_num_queries):
    cinema = CinemaFactory()
    for film in FilmFactory.create_batch(12):
        for screening in ScreeningFactory.create_batch(3, film=film, cinema=cinema, capacity=1):
            ReservationFactory(screening=screening, quantity=1)
    with django_assert_num_queries(1):
        films = list(Film.objects.live().with_sold_out())
    assert len(films) == 12
    assert all((f.screenings_total, f.screenings_sold_out, f.sold_out) == (3, 3, True) for f in films)


def test_cancelled_screenings_do_not_count_for_a_film_nor_keep_its_run_going():
    elf = FilmFactory(name="Elf")
    past(film=elf)
    cancelled(film=elf)
    full = ScreeningFactory(film=elf, capacity=1)
    ReservationFactory(screening=full, quantity=1)
    scrooge = FilmFactory(name="Scrooge")
    past(film=scrooge)
    cancelled(film=scrooge)
    cancelled(film=FilmFactory(name="Muppets"))

    films = films_by_name()
    # The cancelled screening is neither a seat left nor one more to come: Elf is sold out.
    assert (films["Elf"].screenings_total, films["Elf"].sold_out, films["Elf"].run_ended) == (1, True, False)
    assert (films["Scrooge"].screenings_total, films["Scrooge"].run_ended) == (0, True)
    assert (films["Muppets"].screenings_total, films["Muppets"].sold_out, films["Muppets"].run_ended) == (
        0,
        False,
        True,
    )
