"""The schema migrations leave: declared constraints, no triggers standing in for them.

The one kind of trigger keeps counts beside the rows they count, not rules: each screening's seats
reserved (migration 0025, test_reserved_seats.py), each film's tickets and each screening's
bookings by kind of code (migration 0026, test_campaign_counts.py)."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError
from django.utils import timezone

from backoffice.campaign.codes import SCREENING_CODE_ALPHABET
from backoffice.campaign.factories import AccessCodeFactory, FilmFactory
from backoffice.campaign.models import AccessCode, AccessCodeBatch

pytestmark = pytest.mark.django_db


KEPT_COUNT_TRIGGERS = (
    {
        ("campaign_reservation", f"campaign_reservation_seats_{event}")
        for event in ("write", "change", "insert", "delete", "update")
    }
    | {
        (table, f"campaign_{kind}_count_{event}")
        for table, kind in (("campaign_ticket", "ticket"), ("campaign_reservation", "booking"))
        for event in ("insert", "delete", "update")
    }
    | {("campaign_accesscode", "campaign_booking_count_code")}
)


def test_no_table_of_the_project_has_a_trigger_but_the_kept_counts():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign keys are enforced by triggers the server makes itself (tgisinternal).
            cursor.execute(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
                "JOIN pg_class ON pg_class.oid = tgrelid "
                "WHERE NOT tgisinternal AND relnamespace = 'public'::regnamespace"
            )
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        assert set(cursor.fetchall()) - KEPT_COUNT_TRIGGERS == set()


def foreign_keys(table: str) -> dict[str, tuple[str, str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        column: constraint["foreign_key"]
        for constraint in constraints.values()
        if constraint["foreign_key"]
        for column in constraint["columns"]
    }


def test_an_access_codes_film_is_a_declared_foreign_key_and_its_batch_is_not():
    keys = foreign_keys(AccessCode._meta.db_table)
    assert keys["valid_for_id"] == ("campaign_film", "id")
    assert "batch_id" not in keys


def test_deleting_a_batch_or_film_that_codes_name_is_refused():
    film = FilmFactory()
    batch = AccessCodeBatch.objects.create(requested_count=1)
    AccessCodeFactory(batch=batch, valid_for=film)
    with pytest.raises(ProtectedError):
        batch.delete()
    with pytest.raises(ProtectedError):
        film.delete()
    assert AccessCode.objects.filter(batch=batch, valid_for=film).exists()


@pytest.mark.django_db(transaction=True)
def test_the_short_code_migration_gives_each_existing_screening_its_own_code():
    before, after = [("campaign", "0023_reservation_reference")], [("campaign", "0024_screening_short_code")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("campaign")
    try:
        executor.migrate(before)
        apps = executor.loader.project_state(before).apps
        film = apps.get_model("campaign", "Film").objects.create(name="Elf", slug="elf")
        cinema = apps.get_model("campaign", "Cinema").objects.create(name="York", slug="york")
        start = timezone.now() + dt.timedelta(days=3)
        Screening = apps.get_model("campaign", "Screening")
        screenings = [
            Screening.objects.create(
                film=film, cinema=cinema, starts_at=start + dt.timedelta(hours=n), capacity=10, slug=f"elf-york-{n}"
            )
            for n in range(50)
        ]
        history = apps.get_model("campaign", "HistoricalScreening")
        for pk in (screenings[0].pk, 9999):  # the history of a screening, and of one since deleted
            history.objects.create(
                id=pk,
                film=film,
                cinema=cinema,
                starts_at=start,
                capacity=10,
                slug="elf-york",
                history_date=timezone.now(),
                history_type="+",
            )

        executor = MigrationExecutor(connection)
        executor.migrate(after)
        apps = executor.loader.project_state(after).apps
        codes = dict(apps.get_model("campaign", "Screening").objects.values_list("pk", "code"))
        assert len(set(codes.values())) == 50
        assert all(len(code) == 6 and set(code) <= set(SCREENING_CODE_ALPHABET) for code in codes.values())
        kept = dict(apps.get_model("campaign", "HistoricalScreening").objects.values_list("id", "code"))
        assert kept == {screenings[0].pk: codes[screenings[0].pk], 9999: ""}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
