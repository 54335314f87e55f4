"""Bookings racing a withdrawal of their batch, on real PostgreSQL connections: none gets through after.

Twenty workers book with codes of a batch while a twenty-first withdraws the batch chunk by
chunk. A booking that started after its code's chunk committed must be refused, with the
withdrawn message; a booking that got through must have started before. Every round ends with
every code withdrawn and the domain's invariants holding.
"""

import itertools
import random
import time

import pytest
from django.core.exceptions import ValidationError

from backoffice.campaign.factories import AccessCodeFactory, FilmFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import AccessCode, AccessCodeBatch, AccessCodeBlock, Reservation
from backoffice.campaign.services.code_blocks import code_block_chunk
from backoffice.campaign.tests.booking_support import assert_invariants
from backoffice.campaign.tests.test_reservations_concurrency import Crew

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

ROUNDS = 3
WORKERS = 20
BOOKINGS_EACH = 4
CHUNK = 10
WITHDRAWN = "This code has been withdrawn"
RACERS = itertools.count()


@pytest.fixture
def crew(transactional_db, settings):
    settings.RESERVATION_LOCK_TIMEOUT_MS = 30_000  # twenty bookings queue on one screening
    crew = Crew(WORKERS + 1)
    yield crew
    crew.stop()


def booker(screening_id: int, code_ids: list[int]):
    def book() -> list[tuple[int, float, float, object]]:
        outcomes = []
        for code_id in code_ids:
            started = time.monotonic()
            try:
                result = Reservation.objects.create(
                    screening_id=screening_id,
                    access_code_id=code_id,
                    quantity=1,
                    name="Racer",
                    email=f"racer.{next(RACERS)}@example.com",
                )
            except ValidationError as error:
                result = error
            outcomes.append((code_id, started, time.monotonic(), result))
        return outcomes

    return book


def blocker(record_id: int, code_ids: list[int]):
    def block() -> dict[int, tuple[float, float]]:
        record = AccessCodeBlock.objects.get(pk=record_id)
        committed = {}
        for start in range(0, len(code_ids), CHUNK):
            chunk = code_ids[start : start + CHUNK]
            began = time.monotonic()
            code_block_chunk(record, AccessCode.objects.filter(pk__in=chunk))
            done = time.monotonic()  # the chunk's transaction has committed
            committed.update(dict.fromkeys(chunk, (began, done)))
        return committed

    return block


def test_bookings_racing_a_withdrawal_committed_before_it_or_were_refused(crew):
    film = FilmFactory()
    stock = WORKERS * BOOKINGS_EACH * ROUNDS
    TicketFactory.create_batch(stock, film=film)
    screening = ScreeningFactory(film=film, capacity=stock)
    rng = random.Random(25)
    got_through = refused = 0
    for _ in range(ROUNDS):
        batch = AccessCodeBatch.objects.create(requested_count=0, status=AccessCodeBatch.Status.COMPLETED)
        codes = [AccessCodeFactory(batch=batch).pk for _ in range(WORKERS * BOOKINGS_EACH)]
        record = AccessCodeBlock.objects.create(action="block", scope="batch", batch=batch, requested=len(codes))
        shuffled = rng.sample(codes, len(codes))
        jobs = [booker(screening.pk, shuffled[i * BOOKINGS_EACH : (i + 1) * BOOKINGS_EACH]) for i in range(WORKERS)]
        results = crew.race([*jobs, blocker(record.pk, codes)])
        assert not [r for r in results if isinstance(r, Exception)], results
        committed = results[-1]
        for code_id, started, ended, result in itertools.chain.from_iterable(results[:-1]):
            began, done = committed[code_id]
            if isinstance(result, Reservation):
                got_through += 1
                assert started < done, "a booking that started after its code was withdrawn got through"
            else:
                refused += 1
                assert WITHDRAWN in result.message_dict["access_code"][0], result
                assert ended > began, "a booking was refused as withdrawn before the withdrawal began"
        assert not AccessCode.objects.filter(batch=batch, blocked_at__isnull=True).exists()
        record.refresh_from_db()
        assert record.count == len(codes)
        booked = set(Reservation.objects.filter(access_code__batch=batch).values_list("access_code", flat=True))
        assert len(booked) == sum(isinstance(r[3], Reservation) for r in itertools.chain.from_iterable(results[:-1]))
        assert_invariants(stock)
    # Both outcomes happened: the race was a race.
    assert got_through
    assert refused
