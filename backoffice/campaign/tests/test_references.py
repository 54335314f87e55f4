"""An access code's batch and film must exist: checked by triggers, not declared foreign keys."""

import io
import threading
from collections.abc import Callable

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Model, ProtectedError

from backoffice.campaign import codes
from backoffice.campaign.factories import AccessCodeFactory, FilmFactory
from backoffice.campaign.models import AccessCode, AccessCodeBatch
from backoffice.campaign.tests.locking import transaction_held_elsewhere, wait_for_a_lock_waiter

pytestmark = pytest.mark.django_db

MISSING = 10**9
COPY = "COPY campaign_accesscode (value, max_usages, batch_id) FROM STDIN"
DELETE_BATCH = "DELETE FROM campaign_accesscodebatch WHERE id = %s"


def new_batch() -> AccessCodeBatch:
    return AccessCodeBatch.objects.create(requested_count=1)


@pytest.fixture(params=["batch_id", "valid_for_id"])
def reference(request) -> tuple[str, Callable[[], Model]]:
    """The code's column, and how to make a row it can point at."""
    return request.param, {"batch_id": new_batch, "valid_for_id": FilmFactory}[request.param]


def test_a_code_naming_a_missing_row_is_refused(reference):
    column, _ = reference
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessCodeFactory(**{column: MISSING})
    assert not AccessCode.objects.exists()


def test_a_code_cannot_be_moved_to_a_missing_row(reference):
    column, make = reference
    target = make()
    code = AccessCodeFactory(**{column: target.pk})
    with pytest.raises(IntegrityError), transaction.atomic():
        AccessCode.objects.filter(pk=code.pk).update(**{column: MISSING})
    code.refresh_from_db()
    assert getattr(code, column) == target.pk


def test_codes_naming_existing_rows_or_none_are_accepted(reference):
    column, make = reference
    target = make()
    AccessCodeFactory(**{column: target.pk})
    AccessCodeFactory(**{column: None})
    assert AccessCode.objects.update(max_usages=2) == 2
    assert AccessCode.objects.filter(**{column: target.pk}).count() == 1


def test_deleting_a_referenced_batch_or_film_through_django_is_refused():
    film = FilmFactory()
    batch = new_batch()
    AccessCodeFactory(batch=batch, valid_for=film)
    with pytest.raises(ProtectedError):
        batch.delete()
    with pytest.raises(ProtectedError):
        film.delete()


@pytest.mark.postgresql
def test_postgresql_refuses_deleting_or_renumbering_a_referenced_row_even_in_sql(reference):
    column, make = reference
    target, unused = make(), make()
    AccessCodeFactory(**{column: target.pk})
    table = connection.ops.quote_name(type(target)._meta.db_table)
    delete = f"DELETE FROM {table} WHERE id = %s"  # noqa: S608 - a model's table
    renumber = f"UPDATE {table} SET id = id + {MISSING} WHERE id = %s"  # noqa: S608 - a model's table
    for statement in (delete, renumber):
        with pytest.raises(IntegrityError, match="still referenced"), transaction.atomic():
            sql(statement, [target.pk])
    assert type(target).objects.filter(pk=target.pk).exists()
    sql(delete, [unused.pk])
    assert not type(target).objects.filter(pk=unused.pk).exists()


@pytest.mark.postgresql
def test_postgresql_refuses_a_whole_copy_for_one_row_naming_a_missing_batch():
    batch = new_batch()
    rows = [f"{value}\t1\t{batch.pk}\n" for value in codes.access_code_values(1000)]
    rows[500] = rows[500].replace(f"\t{batch.pk}\n", f"\t{MISSING}\n")
    data = "".join(rows)
    with (
        pytest.raises(IntegrityError, match=f"Key \\(batch_id\\)=\\({MISSING}\\) is not present"),
        transaction.atomic(),
        connection.cursor() as cursor,
        connection.wrap_database_errors,
    ):
        cursor.cursor.copy_expert(COPY, io.StringIO(data))
    assert not AccessCode.objects.exists()


def delete_waiting_at_most_200ms(batch: AccessCodeBatch) -> None:
    with transaction.atomic():
        sql("SET LOCAL lock_timeout = '200ms'", [])
        sql(DELETE_BATCH, [batch.pk])


def sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_batch_being_filled_cannot_be_deleted_before_or_after_the_codes_commit():
    batch = new_batch()
    # The filling transaction's codes are not visible yet, but it holds the batch FOR KEY SHARE.
    with (
        transaction_held_elsewhere(lambda: AccessCodeFactory(batch=batch)),
        pytest.raises(OperationalError, match="lock timeout"),
    ):
        delete_waiting_at_most_200ms(batch)
    with pytest.raises(IntegrityError, match="still referenced"), transaction.atomic():
        sql(DELETE_BATCH, [batch.pk])
    assert AccessCode.objects.filter(batch=batch).count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_codes_for_a_batch_being_deleted_wait_and_are_refused_once_it_is_gone():
    batch = new_batch()
    errors: list[Exception] = []

    def insert() -> None:
        try:
            AccessCodeFactory(batch_id=batch.pk)
        except IntegrityError as exc:
            errors.append(exc)
        finally:
            connection.close()

    inserter = threading.Thread(target=insert)
    try:
        with transaction_held_elsewhere(lambda: sql(DELETE_BATCH, [batch.pk])):
            inserter.start()
            wait_for_a_lock_waiter()  # the insert waits for the delete to end
    finally:
        inserter.join(timeout=10)
    assert len(errors) == 1
    assert f"Key (batch_id)=({batch.pk}) is not present" in str(errors[0])
    assert not AccessCode.objects.exists()
