"""Bookings racing on real PostgreSQL connections: nothing oversold, no code overused, no ticket shared.

Each worker is a thread with its own database connection; a Barrier releases them together.
Every scenario runs many rounds from a fresh screening with no reservations, and the invariants
of the domain are checked after every round.
"""

import itertools
import queue
import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from backoffice.campaign.factories import AccessCodeFactory, FilmFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import Reservation, Ticket
from backoffice.campaign.services.locking import BUSY_MESSAGE
from backoffice.campaign.tests.booking_support import assert_invariants
from backoffice.campaign.tests.locking import screening_locked_elsewhere

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

ROUNDS = 10
WORKERS = 20
RACERS = itertools.count()  # every racer has their own email: one active booking per person


class Crew:
    """Worker threads that each keep one database connection for every round of a test.

    Connecting costs more than a booking, so the threads (and their connections) are made once;
    each round hands every worker a job and a shared Barrier that releases them together.
    """

    def __init__(self, size: int) -> None:
        self.inboxes: list[queue.Queue] = [queue.Queue() for _ in range(size)]
        self.results: queue.Queue = queue.Queue()
        self.threads = [threading.Thread(target=self._work, args=(inbox,), daemon=True) for inbox in self.inboxes]
        for thread in self.threads:
            thread.start()

    def _work(self, inbox: queue.Queue) -> None:
        try:
            connection.ensure_connection()
            while (task := inbox.get()) is not None:
                index, barrier, job = task
                try:
                    barrier.wait(timeout=10)
                    result = job()
                except Exception as error:  # every outcome goes back to the test, which judges it
                    result = error
                self.results.put((index, result))
        finally:
            connection.close()

    def race(self, jobs: list[Callable[[], object]]) -> list[object]:
        """Run the jobs at the same instant, one worker each; return their results or exceptions."""
        assert len(jobs) <= len(self.inboxes)
        barrier = threading.Barrier(len(jobs))
        for index, job in enumerate(jobs):
            self.inboxes[index].put((index, barrier, job))
        results: list[object] = [None] * len(jobs)
        for _ in jobs:
            index, result = self.results.get(timeout=30)
            results[index] = result
        return results

    def stop(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for thread in self.threads:
            thread.join(timeout=10)
        assert not any(thread.is_alive() for thread in self.threads), "a worker hung"


@pytest.fixture
def crew(transactional_db, settings):
    # Twenty bookings queue on one screening's lock, and on a loaded machine the last of them can
    # wait longer than the production limit. The races test outcomes; the limit has its own test
    # (test_a_lock_held_too_long_gives_a_clear_busy_error).
    settings.RESERVATION_LOCK_TIMEOUT_MS = 30_000
    crew = Crew(WORKERS)
    yield crew
    crew.stop()


def booking(screening_id: int, code_id: int, quantity: int = 1, email: str = "") -> Callable[[], Reservation]:
    email = email or f"racer.{next(RACERS)}@example.com"
    return lambda: Reservation.objects.create(
        screening_id=screening_id, access_code_id=code_id, quantity=quantity, name="Racer", email=email
    )


def change(reservation_id: int, **changes) -> Callable[[], Reservation]:
    return lambda: Reservation.objects.update_booking(Reservation.objects.get(pk=reservation_id), **changes)


def split(results: list[object]) -> tuple[list[Reservation], list[ValidationError]]:
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ValidationError)]
    assert not unexpected, f"errors other than ValidationError: {unexpected!r}"
    booked = [r for r in results if isinstance(r, Reservation)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(booked) + len(refused) == len(results)
    return booked, refused


def new_round() -> None:
    """No reservations, and the whole ticket stock free again.

    Bookings email their codes, so the tickets a round releases are void (never allocated
    again); a new round starts from stock no customer has seen.
    """
    Reservation.objects.all().delete()
    Ticket.objects.update(issued_at=None)


def test_twenty_bookings_for_ten_seats_give_exactly_ten(crew):
    film = FilmFactory()
    TicketFactory.create_batch(10 * ROUNDS, film=film)
    for _ in range(ROUNDS):
        screening = ScreeningFactory(film=film, capacity=10)
        codes = AccessCodeFactory.create_batch(WORKERS)
        booked, refused = split(crew.race([booking(screening.pk, code.pk) for code in codes]))
        assert len(booked) == 10
        assert len(refused) == 10
        assert all("No seats left" in str(error) for error in refused)
        assert_invariants(10 * ROUNDS)


def test_a_shared_code_of_three_uses_books_exactly_three(crew):
    film = FilmFactory()
    TicketFactory.create_batch(3 * ROUNDS, film=film)
    for _ in range(ROUNDS):
        screening = ScreeningFactory(film=film, capacity=50)
        code = AccessCodeFactory(max_usages=3)
        booked, refused = split(crew.race([booking(screening.pk, code.pk) for _ in range(WORKERS)]))
        assert len(booked) == 3
        assert all("is used up" in str(error) for error in refused)
        assert_invariants(3 * ROUNDS)


def test_scarce_tickets_go_to_exactly_as_many_bookings_across_screenings(crew):
    # Different screenings do not queue on one screening lock: only SKIP LOCKED keeps two
    # bookings from taking the same free ticket here.
    film = FilmFactory()
    stock = 6
    for _ in range(ROUNDS):
        Ticket.objects.filter(film=film).delete()
        Reservation.objects.all().delete()
        TicketFactory.create_batch(stock, film=film)
        screenings = ScreeningFactory.create_batch(4, film=film, capacity=10)
        jobs = [booking(screenings[i % 4].pk, AccessCodeFactory().pk) for i in range(12)]
        booked, refused = split(crew.race(jobs))
        assert len(booked) == stock
        assert all("Not enough tickets" in str(error) for error in refused)
        assert_invariants(stock)


def test_mixed_bookings_changes_and_cancellations_keep_every_invariant(crew):
    film, other_film = FilmFactory(), FilmFactory()
    TicketFactory.create_batch(40, film=film)
    TicketFactory.create_batch(20, film=other_film)
    for _ in range(ROUNDS):
        new_round()
        a, b = ScreeningFactory(film=film, capacity=8), ScreeningFactory(film=film, capacity=8)
        c = ScreeningFactory(film=other_film, capacity=8)
        shared = AccessCodeFactory(max_usages=2)
        seeded = [
            Reservation.objects.create(
                screening=s, access_code=AccessCodeFactory(), quantity=2, name="Seed", email=f"seed.{i}@example.com"
            )
            for i, s in enumerate((a, b, c, a))
        ]
        jobs = [
            change(seeded[0].pk, screening=b),
            change(seeded[1].pk, screening=a, quantity=3),
            change(seeded[2].pk, screening=a),  # another film: tickets swap
            change(seeded[3].pk, quantity=0),
            change(seeded[3].pk, quantity=4),
            booking(a.pk, shared.pk, 2),
            booking(b.pk, shared.pk, 2),
            booking(c.pk, shared.pk, 2),
            booking(a.pk, AccessCodeFactory().pk, 4),
            booking(b.pk, AccessCodeFactory().pk, 4),
            booking(c.pk, AccessCodeFactory().pk, 3),
            booking(c.pk, AccessCodeFactory().pk, 3),
        ]
        split(crew.race(jobs))
        assert_invariants(60)


def test_moves_in_opposite_directions_do_not_deadlock(crew):
    film = FilmFactory()
    TicketFactory.create_batch(4, film=film)
    for _ in range(ROUNDS * 2):
        new_round()
        a, b = ScreeningFactory(film=film, capacity=4), ScreeningFactory(film=film, capacity=4)
        on_a, on_b = (
            Reservation.objects.create(
                screening=s, access_code=AccessCodeFactory(), quantity=2, name="Mover", email=f"mover.{i}@example.com"
            )
            for i, s in enumerate((a, b))
        )
        # One asks for b (locking a then b), the other for a (locking b then a, were it not for
        # the pk order): both must finish, neither with a deadlock or a busy error.
        booked, refused = split(crew.race([change(on_a.pk, screening=b), change(on_b.pk, screening=a)]))
        assert len(booked) == 2, refused
        assert set(Reservation.objects.values_list("screening_id", flat=True)) == {a.pk, b.pk}
        assert_invariants(4)


def test_a_lock_held_too_long_gives_a_clear_busy_error(settings):
    settings.RESERVATION_LOCK_TIMEOUT_MS = 200
    film = FilmFactory()
    TicketFactory.create_batch(2, film=film)
    screening = ScreeningFactory(film=film, capacity=10)
    code = AccessCodeFactory()
    with screening_locked_elsewhere(screening):
        with pytest.raises(ValidationError) as error:
            booking(screening.pk, code.pk)()
        assert error.value.messages == [BUSY_MESSAGE]
        assert not Reservation.objects.exists()
    assert booking(screening.pk, code.pk)().quantity == 1


def test_twenty_bookings_with_one_email_in_different_cases_give_exactly_one(crew):
    film = FilmFactory()
    TicketFactory.create_batch(20 * ROUNDS, film=film)
    for round_ in range(ROUNDS):
        # Different screenings and codes: no booking lock is shared, only the email's constraint.
        screenings = ScreeningFactory.create_batch(4, film=film, capacity=10)
        emails = [
            f"{'Carol' if i % 2 else 'carol'}.{round_}@{'EXAMPLE' if i % 3 else 'example'}.com" for i in range(20)
        ]
        jobs = [booking(screenings[i % 4].pk, AccessCodeFactory().pk, email=emails[i]) for i in range(WORKERS)]
        booked, refused = split(crew.race(jobs))
        assert len(booked) == 1
        assert all(list(error.message_dict) == ["email"] for error in refused)
        assert all(booked[0].reference in error.messages[0] for error in refused)
        assert_invariants(20 * ROUNDS)
