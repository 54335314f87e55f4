"""The demo campaign `make run` seeds. Seeding takes seconds, so the module seeds once
(``seeded``, in a transaction of the module's, rolled back after it) and each test reads it, or
seeds again on top of it inside its own transaction, which is rolled back as every test's is."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from backoffice.campaign.demo.seed import BOOKING_DAYS, BOOKING_HOURS, booked_at, campaign_year, demo_campaign_seed
from backoffice.campaign.models import (
    LONDON,
    AccessCode,
    CampaignContact,
    Cinema,
    Email,
    Film,
    Reservation,
    Screening,
    Ticket,
)
from backoffice.campaign.services.dashboard import dashboard_compute

pytestmark = pytest.mark.django_db

COUNTED = (Film, Cinema, Screening, Ticket, AccessCode, Reservation)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        started = timezone.now()
        demo_campaign_seed()
        yield started
        transaction.set_rollback(True)  # later modules start as they would have


def test_seed_makes_a_believable_campaign(seeded):
    assert Film.objects.filter(live=True).count() == 6
    assert Cinema.objects.count() == 40
    assert Cinema.objects.filter(lat__isnull=True).count() == 0
    assert 200 <= Screening.objects.count() <= 500
    assert not Screening.objects.exclude(starts_at__month=12).exists()
    seats = dict(Screening.objects.values_list("film").annotate(Sum("capacity")))
    stock = dict(Ticket.objects.values_list("film").annotate(Count("pk")))
    assert seats.keys() == stock.keys()
    assert all(stock[film] >= seats[film] for film in seats), "a film has fewer tickets than seats"
    booked = Screening.objects.annotate(reserved=Sum("reservations__quantity", filter=Q(reservations__quantity__gt=0)))
    sold_out = booked.filter(reserved__gte=F("capacity")).count()
    nearly = booked.filter(reserved__lt=F("capacity"), reserved__gte=F("capacity") - 2).count()
    assert sold_out >= 10
    assert nearly >= 10
    assert not booked.filter(reserved__gt=F("capacity")).exists()


def test_seed_twice_adds_nothing(seeded):
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert all(first.values())


def test_campaign_year_rolls_over_after_christmas():
    assert campaign_year(dt.date(2026, 11, 24)) == 2026
    assert campaign_year(dt.date(2026, 12, 26)) == 2027


def test_seed_keeps_to_the_booking_rules(seeded):
    active = Reservation.objects.filter(quantity__gt=0)
    assert not active.exclude(screening__in=Screening.objects.bookable()).exists(), "booked after the cut-off"
    emails = [email.lower() for email in active.values_list("email", flat=True)]
    assert len(emails) == len(set(emails)), "two active reservations share an email"


def test_seed_gives_the_campaign_a_contact_and_keeps_staff_edits(seeded):
    contact = CampaignContact.load()
    assert all([contact.phone, contact.email, contact.opening_hours]), contact
    contact.phone = "0800 000 0000"
    contact.save(update_fields=["phone"])
    demo_campaign_seed()
    assert list(CampaignContact.objects.values_list("phone", flat=True)) == ["0800 000 0000"]


def test_seeded_bookings_are_spread_over_the_weeks_before_and_the_dashboard_shows_them_by_day(seeded):
    before = seeded

    made = list(Reservation.objects.values_list("created_at", flat=True))
    assert all(before - dt.timedelta(days=BOOKING_DAYS) <= at <= timezone.now() for at in made)
    assert all(at.astimezone(LONDON).hour in BOOKING_HOURS for at in made), "booked while staff are away"
    days = {at.astimezone(LONDON).date() for at in made}
    assert len(days) >= 12, f"bookings on {len(days)} days"
    # Each booking's confirmation went out when it was made.
    assert not Email.objects.exclude(created_at=F("reservation__created_at")).exists()
    chart = dashboard_compute().chart("bookings-per-day")
    assert sum(1 for _, count in chart.rows if count) == len(days)


def test_a_booking_time_is_the_same_for_the_same_booking_and_never_ahead_of_now():
    now = dt.datetime(2026, 12, 6, 10, 0, tzinfo=LONDON)
    times = [booked_at(f"elf-york-{n}", now) for n in range(200)]
    assert times == [booked_at(f"elf-york-{n}", now) for n in range(200)]
    assert max(times) <= now
    assert min(times) >= now - dt.timedelta(days=BOOKING_DAYS)
    assert len({at.date() for at in times}) >= 15
