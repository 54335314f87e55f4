"""One active reservation per email address, in any case: a rule of the database, said as a field error."""

import pytest
from django.core.management.base import CommandError
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import Reservation, Screening
from backoffice.campaign.tests.booking_support import refused, state

pytestmark = pytest.mark.django_db

MIGRATION = ("campaign", "0007_reservation_one_active_per_email")


@pytest.fixture
def elf() -> Screening:
    film = FilmFactory(name="Elf")
    TicketFactory.create_batch(20, film=film)
    return ScreeningFactory(film=film, cinema=CinemaFactory(name="York - Vangarde"), capacity=10)


def book(screening: Screening, email: str, quantity: int = 2) -> Reservation:
    return Reservation.objects.create(
        screening=screening, access_code=AccessCodeFactory(), quantity=quantity, name="Mary Holly", email=email
    )


def taken(email: str, holder: Reservation) -> str:
    holder = Reservation.objects.select_related("screening__film", "screening__cinema").get(pk=holder.pk)
    return (
        f"{email} already has an active reservation: {holder.reference} ({holder.screening}, "
        f"{holder.quantity} seats). One booking per person: change or cancel that one instead."
    )


def test_a_second_booking_from_the_same_email_is_refused_in_any_case(elf):
    first = book(elf, "mary@example.com")
    other = ScreeningFactory(film=elf.film, capacity=10)
    assert refused(book, other, "Mary@Example.COM") == {"email": [taken("Mary@Example.COM", first)]}


def test_cancelling_frees_the_email(elf):
    first = book(elf, "mary@example.com")
    Reservation.objects.update_booking(first, quantity=0)
    assert book(elf, "MARY@example.com").quantity == 2


def test_reviving_a_cancelled_booking_needs_the_email_free(elf):
    cancelled = book(elf, "mary@example.com")
    Reservation.objects.update_booking(cancelled, quantity=0)
    second = book(elf, "mary@example.com")
    cancelled.refresh_from_db()
    errors = refused(Reservation.objects.update_booking, cancelled, quantity=1)
    assert errors == {"email": [taken("mary@example.com", second)]}


def test_changing_to_an_email_that_is_taken_is_refused(elf):
    mary = book(elf, "mary@example.com")
    john = book(elf, "john@example.com")
    errors = refused(Reservation.objects.update_booking, john, email="MARY@example.com")
    assert errors == {"email": [taken("MARY@example.com", mary)]}
    assert Reservation.objects.update_booking(john, name="John Frost").name == "John Frost"


def test_the_database_itself_refuses_a_second_active_reservation():
    ReservationFactory(email="mary@example.com", quantity=1)
    ReservationFactory(email="MARY@example.com", quantity=0)  # cancelled ones do not count
    with pytest.raises(IntegrityError):
        ReservationFactory(email="Mary@example.com", quantity=2)


def test_factories_give_every_reservation_its_own_email():
    # The emails come from a sequence, so 30 rows show what 300 would, and the database's
    # one-active-booking-per-email constraint accepts every one of them.
    emails = [r.email.lower() for r in ReservationFactory.create_batch(30)]
    assert len(set(emails)) == 30


def test_the_admin_shows_it_on_the_email_field(admin_client, elf):
    first = book(elf, "mary@example.com")
    data = {
        "name": "Mary Holly",
        "email": "mary@EXAMPLE.com",
        "screening": elf.pk,
        "access_code": AccessCodeFactory().pk,
        "quantity": 1,
        "ip_address": "",
    }
    before = state()
    response = admin_client.post(reverse("admin:campaign_reservation_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"email": [taken("mary@EXAMPLE.com", first)]}
    assert state() == before


@pytest.mark.django_db(transaction=True)
def test_the_migration_refuses_with_a_list_when_data_already_breaks_the_rule():
    executor = MigrationExecutor(connection)
    (before,) = [p.key for p in executor.loader.graph.node_map[MIGRATION].parents if p.key[0] == "campaign"]
    executor.migrate([before])
    try:
        apps = MigrationExecutor(connection).loader.project_state([before]).apps
        film = apps.get_model("campaign", "Film").objects.create(name="Elf", slug="elf")
        cinema = apps.get_model("campaign", "Cinema").objects.create(name="York", slug="york")
        screening = apps.get_model("campaign", "Screening").objects.create(
            film=film, cinema=cinema, starts_at="2030-12-12T18:30Z", capacity=10, slug="elf-york"
        )
        code = apps.get_model("campaign", "AccessCode").objects.create(value="BCDF-BCDF-BCDF-BCDF", max_usages=9)
        historical = apps.get_model("campaign", "Reservation")

        def reserve(email: str, quantity: int, ref: str):
            historical.objects.create(
                screening=screening, access_code=code, quantity=quantity, name="N", email=email, reservation_id=ref
            )

        reserve("mary@example.com", 2, "MARY0001")
        reserve("MARY@example.com", 1, "MARY0002")
        reserve("mary@EXAMPLE.com", 0, "MARY0003")  # cancelled: not in breach
        reserve("john@example.com", 1, "JOHN0001")
        reserve("John@example.com", 1, "JOHN0002")
        reserve("ann@example.com", 1, "ANN00001")

        with pytest.raises(CommandError) as error:
            MigrationExecutor(connection).migrate([MIGRATION])
        message = str(error.value)
        assert "2 email addresses have more than one active reservation" in message
        assert "john@example.com: JOHN0001, JOHN0002" in message
        assert "mary@example.com: MARY0001, MARY0002" in message
        assert "MARY0003" not in message
        assert "ann@" not in message
        assert historical.objects.count() == 6, "nothing may be lost"

        historical.objects.filter(reservation_id__in=["MARY0002", "JOHN0002"]).update(quantity=0)
        MigrationExecutor(connection).migrate([MIGRATION])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
