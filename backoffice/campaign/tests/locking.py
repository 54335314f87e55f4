"""Test helper: another connection holding a screening's row lock, as a busy colleague would."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from backoffice.campaign.models import Screening


@contextmanager
def screening_locked_elsewhere(screening: Screening) -> Iterator[None]:
    """Hold ``select_for_update`` on the screening in another thread until the block ends."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Screening.objects.select_for_update().get(pk=screening.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=10), "the other connection never got the screening's lock"
        yield
    finally:
        release.set()
        holder.join(timeout=10)
