"""Bulk moves, bulk cancels and screening cancellations racing single bookings on real PostgreSQL
connections: the invariants hold after every round, and the lock order leaves no deadlock."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count

from backoffice.campaign.factories import AccessCodeFactory, FilmFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import Email, Reservation, Screening
from backoffice.campaign.services.locking import BUSY_MESSAGE
from backoffice.campaign.services.reservations import reservations_cancel, reservations_move, screening_cancel
from backoffice.campaign.tests.booking_support import assert_invariants
from backoffice.campaign.tests.test_reservations_concurrency import (  # noqa: F401 (the fixture)
    ROUNDS,
    booking,
    change,
    crew,
    new_round,
)

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def moving(pks: list[int], to: int):
    return lambda: reservations_move(
        reservations=Reservation.objects.filter(pk__in=pks), screening=Screening.objects.get(pk=to), by=None
    )


def cancelling(pks: list[int]):
    return lambda: reservations_cancel(reservations=Reservation.objects.filter(pk__in=pks), by=None)


def cancelling_screening(pk: int, move_to: int | None):
    return lambda: screening_cancel(
        screening=Screening.objects.get(pk=pk),
        by=None,
        reason="Snow.",
        move_to=Screening.objects.get(pk=move_to) if move_to else None,
    )


def seed(screening: Screening, n: int, quantity: int = 2) -> list[int]:
    return [
        Reservation.objects.create(
            screening=screening, access_code=AccessCodeFactory(), quantity=quantity, name="Seed", email=email
        ).pk
        for email in (f"seed.{screening.pk}.{i}@example.com" for i in range(n))
    ]


def test_bulk_changes_racing_bookings_and_each_other_keep_every_invariant(crew):  # noqa: F811 (the fixture)
    film, other_film = FilmFactory(), FilmFactory()
    TicketFactory.create_batch(60, film=film)
    TicketFactory.create_batch(30, film=other_film)
    bulk_done = 0
    for _ in range(ROUNDS):
        new_round()
        a, b = ScreeningFactory(film=film, capacity=8), ScreeningFactory(film=film, capacity=8)
        c, d = ScreeningFactory(film=other_film, capacity=8), ScreeningFactory(film=film, capacity=6)
        on_a, on_b, on_d = seed(a, 2), seed(b, 2), seed(d, 2, 1)
        seed(c, 2)
        jobs = [
            moving(on_a, b.pk),  # a -> b while b -> a: opposite directions, one lock order
            moving(on_b, a.pk),
            cancelling_screening(c.pk, a.pk),  # another film: tickets swap
            cancelling_screening(d.pk, None),
            cancelling([on_a[0], on_b[1]]),
            change(on_d[0], quantity=3),
            booking(a.pk, AccessCodeFactory().pk, 4),
            booking(b.pk, AccessCodeFactory().pk, 4),
            booking(c.pk, AccessCodeFactory().pk, 2),
            booking(d.pk, AccessCodeFactory().pk, 2),
        ]
        results = crew.race(jobs)
        bulk_done += sum(not isinstance(result, Exception) for result in results[:5])

        unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ValidationError)]
        assert not unexpected, f"errors other than ValidationError: {unexpected!r}"
        assert not [r for r in results if isinstance(r, ValidationError) and BUSY_MESSAGE in r.messages]
        assert_invariants(90)
        # A cancelled screening holds nothing, and each booking it had heard about it exactly once.
        for screening in Screening.objects.filter(pk__in=[c.pk, d.pk], cancelled_at__isnull=False):
            assert not screening.reservations.filter(quantity__gt=0).exists()
        told = Email.objects.filter(kind=Email.Kind.SCREENING_CANCELLED, reservation__isnull=False)
        assert not told.values("reservation").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert bulk_done >= ROUNDS, "the bulk changes were refused so often that the race tested little"
