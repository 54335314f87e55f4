"""Test helpers: another connection in the middle of a transaction, as a busy colleague would be."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg2
from django.db import connection, transaction

from backoffice.campaign.models import Screening


@contextmanager
def transaction_held_elsewhere(work: Callable[[], object]) -> Iterator[None]:
    """Run ``work`` in a transaction on another thread's connection; commit when the block ends."""
    done, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                work()
                done.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert done.wait(timeout=10), "the other transaction never did its work"
        yield
    finally:
        release.set()
        holder.join(timeout=10)


@contextmanager
def table_frozen(table: str) -> Iterator[None]:
    """Another connection holds an exclusive lock on ``table``, as a stuck migration or VACUUM FULL would."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    holder = psycopg2.connect(**params)
    with holder.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def screening_locked_elsewhere(screening: Screening):
    """Hold ``select_for_update`` on the screening in another transaction until the block ends."""
    return transaction_held_elsewhere(lambda: Screening.objects.select_for_update().get(pk=screening.pk))


def wait_for_a_lock_waiter() -> None:
    """Return once another connection to this PostgreSQL database waits on a lock; fail after 10 s."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("no connection ever waited on a lock")
