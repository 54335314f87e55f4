"""Ticket stock from spreadsheets: every code new and unique, big files in a few queries."""

import pytest
import tablib
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.campaign.factories import FilmFactory, ReservationFactory, TicketFactory
from backoffice.campaign.models import Ticket
from backoffice.campaign.resources.formats import CSV
from backoffice.campaign.resources.tickets import TicketResource

pytestmark = pytest.mark.django_db


def stock_file(*values: list, headers=("code", "film")) -> tablib.Dataset:
    data = tablib.Dataset(headers=list(headers))
    for row in values:
        data.append(row)
    return data


def import_rows(data: tablib.Dataset, **kwargs):
    return TicketResource().import_data(data, dry_run=False, rollback_on_validation_errors=True, **kwargs)


def errors(result) -> dict[int, dict[str, list[str]]]:
    return {row.number: row.error_dict for row in result.invalid_rows}


def stock() -> set[tuple[str, str]]:
    return set(Ticket.objects.values_list("code", "film__slug"))


@pytest.fixture
def elf():
    return FilmFactory(name="Elf")


def test_codes_are_added_for_films_named_by_slug_or_name(elf):
    klaus = FilmFactory(name="Klaus")
    result = import_rows(stock_file([" ELF-001 ", "elf"], ["ELF-002", "Elf"], ["KL-001", "klaus"], ["", ""]))
    assert result.totals == {"new": 3, "update": 0, "delete": 0, "skip": 1, "error": 0, "invalid": 0}
    assert stock() == {("ELF-001", "elf"), ("ELF-002", "elf"), ("KL-001", klaus.slug)}
    assert not Ticket.objects.filter(reservation__isnull=False).exists()


def test_duplicates_in_the_file_and_in_stock_are_reported_row_by_row_and_nothing_is_written(elf):
    TicketFactory(code="OLD-1", film=FilmFactory(name="Klaus"))
    result = import_rows(
        stock_file(
            ["NEW-1", "elf"],
            ["NEW-2", "elf"],
            ["NEW-1", "elf"],
            ["OLD-1", "elf"],
            ["NEW-3", "Elf 2"],
            ["", "elf"],
            ["X" * 65, "elf"],
        )
    )
    assert errors(result) == {
        3: {"code": ['Code "NEW-1" is also on row 2; each ticket code can appear only once.']},
        4: {"code": ['Code "OLD-1" is already in stock (film: Klaus).']},
        5: {"film": ['No film has the slug or name "Elf 2".']},
        6: {"code": ["This field cannot be blank."]},
        7: {"code": ["Ensure this value has at most 64 characters (it has 65)."]},
    }
    assert stock() == {("OLD-1", "klaus")}


def test_a_file_without_a_film_column_is_refused_once(elf):
    result = import_rows(stock_file(["A"], ["B"], headers=("code",)))
    assert [str(e.error) for e in result.base_errors] == [
        "The file has no film column. Its columns are: code. Expected: code, film."
    ]
    assert not result.rows
    assert not Ticket.objects.exists()


def test_query_count_does_not_grow_with_the_file(elf):
    def queries_for(count: int, prefix: str) -> int:
        data = stock_file(*([f"{prefix}-{i:05d}", "elf"] for i in range(count)))
        with CaptureQueriesContext(connection) as captured:
            result = import_rows(data)
        assert result.totals["new"] == count
        return len(captured)

    # A few more INSERT batches (SQLite caps the rows per INSERT), never a query per row.
    assert queries_for(1000, "B") <= queries_for(20, "A") + 5


def test_export_then_import_gives_the_same_stock(elf, settings):
    settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
    klaus = FilmFactory(name="Klaus")
    tickets = TicketFactory.create_batch(3, film=elf) + TicketFactory.create_batch(2, film=klaus)
    TicketFactory(code="=1+1", film=elf)
    reservation = ReservationFactory(quantity=1)
    tickets[0].reservation = reservation
    tickets[0].save(update_fields=["reservation"])
    before = stock()

    text = CSV().export_data(TicketResource().export())
    assert f"{tickets[0].code},elf,{reservation.reference}" in text
    assert "'=1+1" in text

    Ticket.objects.all().delete()
    result = import_rows(CSV(encoding="utf-8").create_dataset(text.encode()))
    assert result.totals["new"] == len(before), errors(result)
    # The reservation column is for reading only: imported stock is free.
    assert stock() == before
    assert not Ticket.objects.filter(reservation__isnull=False).exists()
