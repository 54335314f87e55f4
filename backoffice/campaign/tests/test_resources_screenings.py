"""The screening schedule from spreadsheets: natural keys, London times, the reserved-seats rule."""

import datetime as dt
import threading

import pytest
import tablib
from django.db import connection

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import LONDON, Reservation, Screening
from backoffice.campaign.resources.formats import CSV, XLSX
from backoffice.campaign.resources.screenings import ScreeningResource
from backoffice.campaign.tests.locking import transaction_held_elsewhere, wait_for_a_lock_waiter

pytestmark = pytest.mark.django_db

HEADERS = ["film", "cinema", "start", "capacity"]
NOT_A_START = "is not a start time; write it as YYYY-MM-DD HH:MM in London time, e.g. 2026-12-19 18:30."


def schedule(*values: list) -> tablib.Dataset:
    data = tablib.Dataset(headers=HEADERS)
    for row in values:
        data.append(row)
    return data


def import_rows(data: tablib.Dataset):
    return ScreeningResource().import_data(data, dry_run=False, rollback_on_validation_errors=True)


def errors(result) -> dict[int, dict[str, list[str]]]:
    return {row.number: row.error_dict for row in result.invalid_rows}


def snapshot() -> list[tuple]:
    return list(Screening.objects.order_by("slug").values_list("film__slug", "cinema__slug", "starts_at", "capacity"))


@pytest.fixture
def elf():
    return FilmFactory(name="Elf")


@pytest.fixture
def york():
    return CinemaFactory(name="York - Vangarde")


def test_rows_create_screenings_at_london_times(elf, york):
    result = import_rows(
        schedule(
            ["elf", "york-vangarde", "2030-12-19 18:30", "40"],  # by slug, winter (GMT)
            ["ELF", "york - vangarde", "2030-07-01 18:30", "12"],  # by name in any case, summer (BST)
        )
    )
    assert result.totals["new"] == 2, errors(result)
    assert snapshot() == [
        ("elf", "york-vangarde", dt.datetime(2030, 7, 1, 17, 30, tzinfo=dt.UTC), 12),
        ("elf", "york-vangarde", dt.datetime(2030, 12, 19, 18, 30, tzinfo=dt.UTC), 40),
    ]


def test_a_row_for_a_known_film_cinema_and_start_updates_its_capacity(elf, york):
    screening = ScreeningFactory(film=elf, cinema=york, starts_at=dt.datetime(2030, 12, 19, 18, 30, tzinfo=LONDON))
    result = import_rows(schedule(["Elf", "york-vangarde", "2030-12-19 18:30", "55"]))
    assert result.totals["update"] == 1
    screening.refresh_from_db()
    assert screening.capacity == 55
    assert Screening.objects.count() == 1


def test_capacity_cannot_go_below_the_seats_reserved(elf, york):
    screening = ScreeningFactory(
        film=elf, cinema=york, starts_at=dt.datetime(2030, 12, 19, 18, 30, tzinfo=LONDON), capacity=10
    )
    ReservationFactory(screening=screening, quantity=4)
    ReservationFactory(screening=screening, quantity=2)
    result = import_rows(schedule(["elf", "york-vangarde", "2030-12-19 18:30", "5"]))
    assert errors(result) == {
        1: {
            "capacity": [
                "6 seats are already reserved for this screening; capacity cannot go below 6. "
                "Cancel or move reservations first."
            ]
        }
    }
    screening.refresh_from_db()
    assert screening.capacity == 10
    result = import_rows(schedule(["elf", "york-vangarde", "2030-12-19 18:30", "6"]))
    screening.refresh_from_db()
    assert screening.capacity == 6


def test_bad_rows_are_reported_cell_by_cell_and_nothing_is_written(elf, york):
    ScreeningFactory(film=elf, cinema=york, starts_at=dt.datetime(2030, 12, 1, 18, 0, tzinfo=LONDON), capacity=9)
    before = snapshot()
    result = import_rows(
        schedule(
            ["elf", "york-vangarde", "2030-12-19 18:30", "40"],
            ["Elff", "york-vangarde", "2030-12-19 18:30", "40"],
            ["elf", "Leeds", "2030-12-19 18:30", "40"],
            ["elf", "york-vangarde", "19th December", "40"],
            ["elf", "york-vangarde", "2030-12-20 18:30", "-4"],
            ["elf", "york-vangarde", "2030-03-31 01:30", "40"],
            ["elf", "york-vangarde", "2030-12-01 18:00", "many"],
            ["", "york-vangarde", "2030-12-21 18:30", "40"],
        )
    )
    assert errors(result) == {
        2: {"film": ['No film has the slug or name "Elff".']},
        3: {"cinema": ['No cinema has the slug or name "Leeds".']},
        4: {"start": [f'"19th December" {NOT_A_START}']},
        5: {"capacity": ["Ensure this value is greater than or equal to 0."]},
        6: {"start": ["2030-03-31 01:30 does not exist in London (the clocks go forward then)."]},
        7: {"capacity": ['"many" is not a whole number.']},
        8: {"film": ["Enter the film (its slug or name)."]},
    }
    assert snapshot() == before


def test_a_file_without_a_start_column_is_refused_once(elf, york):
    data = tablib.Dataset(headers=["film", "cinema", "capacity"])
    data.append(["elf", "york-vangarde", "4"])
    result = import_rows(data)
    assert "The file has no start column." in str(result.base_errors[0].error)
    assert not Screening.objects.exists()


@pytest.mark.parametrize("file_format", [CSV(), XLSX()], ids=["csv", "xlsx"])
def test_export_then_import_gives_the_same_rows(file_format, settings):
    settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
    films, cinemas = FilmFactory.create_batch(2), CinemaFactory.create_batch(2)
    for i in range(6):
        ScreeningFactory(film=films[i % 2], cinema=cinemas[i % 2], capacity=10 + i)
    ScreeningFactory(film=films[0], cinema=cinemas[0], starts_at=dt.datetime(2030, 7, 1, 18, 30, tzinfo=LONDON))
    before = snapshot()
    exported = file_format.export_data(ScreeningResource().export(force_native_type=file_format.is_binary()))
    if not file_format.is_binary():
        exported, file_format.encoding = exported.encode(), "utf-8"
    data = file_format.create_dataset(exported)

    assert import_rows(data).totals["skip"] == len(before)
    assert snapshot() == before

    Screening.objects.all().delete()
    assert import_rows(data).totals["new"] == len(before)
    assert snapshot() == before


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_an_import_waits_for_a_booking_in_progress_and_counts_its_seats(elf, york):
    screening = ScreeningFactory(
        film=elf, cinema=york, starts_at=dt.datetime(2030, 12, 19, 18, 30, tzinfo=LONDON), capacity=10
    )
    TicketFactory.create_batch(8, film=elf)
    ReservationFactory(screening=screening, quantity=4)
    ReservationFactory(screening=screening, quantity=2)
    results = []

    def import_lowering_capacity_to_6() -> None:
        try:
            results.append(import_rows(schedule(["elf", "york-vangarde", "2030-12-19 18:30", "6"])))
        finally:
            connection.close()

    def book_two_seats() -> Reservation:
        return Reservation.objects.create(
            screening=screening, access_code=AccessCodeFactory(), quantity=2, name="Late", email="late@example.com"
        )

    importer = threading.Thread(target=import_lowering_capacity_to_6)
    try:
        # 6 seats reserved when the import checks the row, 8 once the booking commits.
        with transaction_held_elsewhere(book_two_seats):
            importer.start()
            wait_for_a_lock_waiter()
    finally:
        importer.join(timeout=10)
    assert errors(results[0]) == {
        1: {
            "capacity": [
                "8 seats are already reserved for this screening; capacity cannot go below 8. "
                "Cancel or move reservations first."
            ]
        }
    }
    screening.refresh_from_db()
    assert screening.capacity == 10
    assert screening.reservations.count() == 3
