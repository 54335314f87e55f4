import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from backoffice.campaign.codes import CODE_RE, REFERENCE_LENGTH, validate_access_code
from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
)
from backoffice.campaign.models import LONDON, Cinema, Film, Screening

pytestmark = pytest.mark.django_db


def test_cinema_slug_comes_from_the_name_and_stays_unique():
    first = Cinema.objects.create(name="Aberdeen - Queens Links")
    second = Cinema.objects.create(name="Aberdeen  Queens Links!")
    assert first.slug == "aberdeen-queens-links"
    assert second.slug == "aberdeen-queens-links-2"


def test_slug_is_kept_when_the_name_changes():
    film = Film.objects.create(name="Elf")
    film.name = "Elf (Sing-along)"
    film.save(update_fields=["name"])
    film.refresh_from_db()
    assert film.slug == "elf"


def test_screening_slug_names_film_cinema_and_london_start():
    # 18:30 in London in summer is 17:30 UTC: the slug must show the local time.
    starts_at = dt.datetime(2026, 7, 1, 17, 30, tzinfo=dt.UTC)
    screening = ScreeningFactory(
        film=FilmFactory(name="Elf"), cinema=CinemaFactory(name="York - Vangarde"), starts_at=starts_at
    )
    assert screening.slug == "elf-york-vangarde-2026-07-01-18-30"


def test_screening_slug_follows_a_change_of_time():
    screening = ScreeningFactory(
        film=FilmFactory(name="Elf"),
        cinema=CinemaFactory(name="Bath"),
        starts_at=dt.datetime(2026, 12, 5, 18, 0, tzinfo=LONDON),
    )
    screening.starts_at = dt.datetime(2026, 12, 6, 20, 30, tzinfo=LONDON)
    screening.save(update_fields=["starts_at"])
    assert Screening.objects.get(pk=screening.pk).slug == "elf-bath-2026-12-06-20-30"


def test_one_film_cannot_start_twice_at_the_same_cinema_and_time():
    screening = ScreeningFactory()
    with pytest.raises(ValidationError, match="already has a screening"):
        Screening(
            film=screening.film, cinema=screening.cinema, starts_at=screening.starts_at, capacity=5
        ).validate_constraints()


@pytest.mark.parametrize(
    ("factory", "field", "value"),
    [
        (ScreeningFactory, "capacity", -1),
        (ReservationFactory, "quantity", 5),
        (CinemaFactory, "lat", 91.0),
        (CinemaFactory, "lng", -181.0),
        (AccessCodeFactory, "max_usages", 0),
    ],
)
def test_the_database_refuses_values_out_of_range(factory, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**{field: value})


def test_reservation_reference_is_short_unique_and_unrelated_to_the_pk():
    references = {ReservationFactory().reference for _ in range(20)}
    assert len(references) == 20
    for reference in references:
        assert len(reference) == REFERENCE_LENGTH
        assert not re.search(r"[AEIOU]", reference)


@pytest.mark.parametrize("value", ["BCDF-2345-GHJK-6789", "0000-ZZZZ-9999-BBBB"])
def test_well_formed_codes_pass(value):
    validate_access_code(value)
    assert CODE_RE.match(value)


@pytest.mark.parametrize("value", ["ABCD-2345-GHJK-6789", "bcdf-2345-ghjk-6789", "BCDF2345GHJK6789", "BCDF-2345-GHJK"])
def test_malformed_codes_fail(value):
    with pytest.raises(ValidationError):
        validate_access_code(value)


def test_str_is_readable():
    screening = ScreeningFactory(
        film=FilmFactory(name="Elf"),
        cinema=CinemaFactory(name="York - Vangarde"),
        starts_at=dt.datetime(2026, 12, 12, 18, 30, tzinfo=LONDON),
    )
    assert str(screening) == "Elf at York - Vangarde, Sat 12 Dec 2026 18:30"


def test_capacity_cannot_be_lowered_below_seats_reserved():
    screening = ScreeningFactory(capacity=10)
    ReservationFactory(screening=screening, quantity=4)
    ReservationFactory(screening=screening, quantity=3)
    ReservationFactory(screening=screening, quantity=0)
    screening.capacity = 6
    with pytest.raises(ValidationError) as error:
        screening.full_clean()
    assert "7 seats are already reserved" in error.value.message_dict["capacity"][0]
    screening.capacity = 7
    screening.full_clean()


def test_a_reservation_and_a_capacity_refusal_count_one_seat_in_the_singular():
    screening = ScreeningFactory(capacity=4)
    one, two = ReservationFactory(screening=screening, quantity=1), ReservationFactory(quantity=2)
    assert str(one) == f"{one.reference} (1 seat)"
    assert str(two) == f"{two.reference} (2 seats)"
    screening.capacity = 0
    with pytest.raises(ValidationError) as error:
        screening.full_clean()
    assert error.value.message_dict["capacity"] == [
        "1 seat is already reserved for this screening; capacity cannot go below 1. Cancel or move reservations first."
    ]
