"""Test helpers: another connection in the middle of a transaction, as a busy colleague would be."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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


def screening_locked_elsewhere(screening: Screening):
    """Hold ``select_for_update`` on the screening in another transaction until the block ends."""
    return transaction_held_elsewhere(lambda: Screening.objects.select_for_update().get(pk=screening.pk))
