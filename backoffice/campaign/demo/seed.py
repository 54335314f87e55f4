"""Fill a database with a believable demo campaign, idempotently.

Every row is keyed by something stable (slug, film + cinema + start, ticket code, code value),
so a second run finds what the first made and adds nothing. Demo access codes are derived from
a hash of their index: they are reproducible demo data, never real codes.
"""

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from backoffice.campaign.codes import ALPHABET, GROUP_LENGTH, GROUPS
from backoffice.campaign.demo.catalogue import CINEMAS, FILMS
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

SHOW_TIMES = [(10, 30), (13, 0), (15, 30), (18, 0), (20, 30)]
FILMS_PER_CINEMA = 3
SCREENINGS_PER_FILM = 3
CAPACITIES = [8, 12, 16, 20, 24]
TICKET_SURPLUS = 1.1  # stock a little beyond the seats offered, as the chain does
# The demo's bookings were made over the weeks before it is seeded, more of them lately, while
# staff answer the phone (London time): the dashboard's bookings per day shows a campaign.
BOOKING_DAYS = 21
BOOKING_HOURS = range(9, 17)


@dataclass
class SeedSummary:
    films: int
    cinemas: int
    screenings: int
    tickets: int
    access_codes: int
    reservations: int

    def __str__(self) -> str:
        return ", ".join(f"{value:,} {name.replace('_', ' ')}" for name, value in vars(self).items())


def campaign_year(today: dt.date) -> int:
    """December of this year, or of next year once this one's campaign is over."""
    return today.year if today < dt.date(today.year, 12, 24) else today.year + 1


def demo_code(key: str) -> str:
    digest = hashlib.sha256(f"xmas-films-demo-code-{key}".encode()).digest()
    chars = [ALPHABET[b % len(ALPHABET)] for b in digest[: GROUPS * GROUP_LENGTH]]
    return "-".join("".join(chars[i : i + GROUP_LENGTH]) for i in range(0, len(chars), GROUP_LENGTH))


def _mix(*parts: object) -> int:
    """A stable number from its parts: layout choices that look varied but repeat exactly."""
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:4], "big")


def seed_films() -> list[Film]:
    films = []
    for data in FILMS:
        film, _ = Film.objects.get_or_create(name=data["name"], defaults={**data, "live": True})
        films.append(film)
    return films


def seed_cinemas() -> list[Cinema]:
    cinemas = []
    for name, address, lat, lng in CINEMAS:
        cinema, _ = Cinema.objects.get_or_create(name=name, defaults={"address": address, "lat": lat, "lng": lng})
        cinemas.append(cinema)
    return cinemas


def seed_screenings(films: list[Film], cinemas: list[Cinema], year: int) -> list[Screening]:
    screenings: dict[int, Screening] = {}
    for c, cinema in enumerate(cinemas):
        for f in range(FILMS_PER_CINEMA):
            film = films[(c + f) % len(films)]
            for s in range(SCREENINGS_PER_FILM):
                day = 1 + _mix(cinema.name, film.name, s) % 23
                hour, minute = SHOW_TIMES[_mix(film.name, cinema.name, s, "time") % len(SHOW_TIMES)]
                starts_at = dt.datetime(year, 12, day, hour, minute, tzinfo=LONDON)
                screening, _ = Screening.objects.get_or_create(
                    film=film,
                    cinema=cinema,
                    starts_at=starts_at,
                    defaults={"capacity": CAPACITIES[_mix(cinema.name, day, hour) % len(CAPACITIES)]},
                )
                screenings[screening.pk] = screening  # two draws may land on the same slot
    return list(screenings.values())


def seed_tickets(films: list[Film], screenings: list[Screening]) -> None:
    for film in films:
        seats = sum(s.capacity for s in screenings if s.film_id == film.pk)
        prefix = film.slug.replace("-", "")[:8].upper()
        Ticket.objects.bulk_create(
            [Ticket(code=f"{prefix}-{n:06d}", film=film) for n in range(1, int(seats * TICKET_SURPLUS) + 1)],
            ignore_conflicts=True,
        )


def booked_at(key: str, now: dt.datetime) -> dt.datetime:
    """When the demo booking ``key`` was made: a stable day of the BOOKING_DAYS up to ``now``, recent
    days likelier (days ago = D - 1 - isqrt(uniform below D²)), at a stable time in BOOKING_HOURS."""
    days_ago = BOOKING_DAYS - 1 - math.isqrt(_mix(key, "day") % BOOKING_DAYS**2)
    minute = _mix(key, "minute") % (len(BOOKING_HOURS) * 60)
    day = now.astimezone(LONDON).date() - dt.timedelta(days=days_ago)
    at = dt.datetime.combine(day, dt.time(BOOKING_HOURS.start + minute // 60, minute % 60), tzinfo=LONDON)
    return at if at <= now else at - dt.timedelta(days=1)  # later today: not yet


def seed_reservations(screenings: list[Screening]) -> None:
    """Sell out about one screening in seven, nearly fill one in five, and book a few seats elsewhere.

    Screenings whose bookings have closed (``BOOKING_CUTOFF_MINUTES`` before the start) get none,
    as staff could book none there. A screening that already has reservations is left alone, so
    a later run never books on top of an earlier one. Every customer has their own email: one
    active booking per person. Each booking, and its confirmation, is dated over the weeks before
    (``booked_at``), not at the moment of seeding.
    """
    now = timezone.now()
    bookings = []  # (screening, its index, booking number, seats booked before it, seats wanted)
    for i, screening in enumerate(screenings):
        if screening.bookings_closed or screening.reservations.exists():
            continue
        if i % 7 == 0:
            seats = screening.capacity
        elif i % 5 == 0:
            seats = max(screening.capacity - 2, 0)
        elif i % 3 == 0:
            seats = 1 + _mix(screening.slug) % 4
        else:
            continue
        bookings += [(screening, i, n, booked, seats) for n, booked in enumerate(range(0, seats, 4))]
    codes = demo_codes([f"{screening.slug}-{n}" for screening, _, n, _, _ in bookings])
    made = []
    for screening, i, n, booked, seats in bookings:
        reservation = Reservation.objects.create(
            screening=screening,
            access_code=codes[f"{screening.slug}-{n}"],
            quantity=min(4, seats - booked),
            name=f"Demo Customer {i}-{n}",
            email=f"customer.{i}.{n}@example.com",
        )
        reservation.created_at = booked_at(f"{screening.slug}-{n}", now)
        made.append(reservation)
    Reservation.objects.bulk_update(made, ["created_at"], batch_size=500)
    when_booked = Reservation.objects.filter(pk=OuterRef("reservation_id")).values("created_at")
    Email.objects.filter(reservation__in=made).update(created_at=Subquery(when_booked))
    # A stock of unused codes for staff to try in the admin.
    demo_codes([f"spare-{n}" for n in range(100)])


def demo_codes(keys: list[str]) -> dict[str, AccessCode]:
    """The demo access codes of ``keys``, by key: made in one statement where missing."""
    values = {key: demo_code(key) for key in keys}
    AccessCode.objects.bulk_create([AccessCode(value=value) for value in values.values()], ignore_conflicts=True)
    by_value = AccessCode.objects.in_bulk(list(values.values()), field_name="value")
    return {key: by_value[value] for key, value in values.items()}


@transaction.atomic
def seed_contact() -> None:
    # get_or_create: a contact staff have edited is theirs, never overwritten by a second run.
    CampaignContact.objects.get_or_create(
        pk=CampaignContact.SINGLETON_ID,
        defaults={
            "phone": "0800 123 4567",
            "email": "bookings@xmasfilms.example",
            "opening_hours": "Monday to Friday, 9am to 5pm",
            "text": "Have your access code ready when you call.",
        },
    )


def demo_campaign_seed(*, today: dt.date | None = None) -> SeedSummary:
    year = campaign_year(today or timezone.localdate())
    films = seed_films()
    cinemas = seed_cinemas()
    screenings = seed_screenings(films, cinemas, year)
    seed_tickets(films, screenings)
    seed_reservations(screenings)
    seed_contact()
    return SeedSummary(
        films=Film.objects.count(),
        cinemas=Cinema.objects.count(),
        screenings=Screening.objects.count(),
        tickets=Ticket.objects.count(),
        access_codes=AccessCode.objects.count(),
        reservations=Reservation.objects.count(),
    )
