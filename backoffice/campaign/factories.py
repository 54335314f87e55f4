"""factory_boy factories for every campaign model, used by the tests and the demo data."""

import datetime as dt
import secrets

import factory
from django.utils import timezone

from backoffice.campaign import models
from backoffice.campaign.codes import ALPHABET, GROUP_LENGTH, GROUPS


def random_code() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))


class CinemaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Cinema

    name = factory.Sequence(lambda n: f"Snowfield {n} - High Street")
    address = factory.Faker("address", locale="en_GB")
    lat = factory.Faker("pyfloat", min_value=50.0, max_value=58.5)
    lng = factory.Faker("pyfloat", min_value=-5.5, max_value=1.5)


class FilmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Film

    name = factory.Sequence(lambda n: f"Winter Tale {n}")
    release_date = "2003"
    genre = "Family"
    certificate = models.Film.Certificate.PG
    description = factory.Faker("paragraph", locale="en_GB")
    running_time = 95
    showing_from = "From 1 December"
    copyright = "© Winter Pictures"
    live = True


class ScreeningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Screening

    film = factory.SubFactory(FilmFactory)
    cinema = factory.SubFactory(CinemaFactory)
    starts_at = factory.Sequence(
        lambda n: (timezone.now() + dt.timedelta(days=1, minutes=30 * n)).replace(second=0, microsecond=0)
    )
    capacity = 10


class AccessCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.AccessCode

    value = factory.LazyFunction(random_code)
    max_usages = 1


class ReservationFactory(factory.django.DjangoModelFactory):
    """Writes the row directly, for arranging test data; real bookings go through the manager."""

    class Meta:
        model = models.Reservation

    name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")  # one active booking per email
    access_code = factory.SubFactory(AccessCodeFactory)
    screening = factory.SubFactory(ScreeningFactory)
    quantity = 2

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Bypass the booking checks of Reservation.objects.create: factories arrange state,
        # including states (sold out, used-up codes) the checks exist to prevent.
        instance = model_class(*args, **kwargs)
        instance.save(force_insert=True)
        return instance


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Ticket

    code = factory.Sequence(lambda n: f"TKT-{n:08d}")
    film = factory.SubFactory(FilmFactory)
