"""The cache is optional: with Redis stopped or frozen (SIGSTOP) the site answers from the database.

Each test runs its own redis-server (tests/redis_server.py), so stopping or freezing it touches
nothing else. A request may lose at most the short socket timeouts the settings give Redis.
"""

import logging
import time
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from backoffice.campaign.api.cache import health
from backoffice.campaign.factories import AccessCodeFactory, FilmFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import Reservation
from backoffice.campaign.tests.redis_server import RedisServer, redis_server

pytestmark = pytest.mark.django_db(transaction=True)  # the cache is cleared on a real commit


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server, server.as_cache():
        yield server
    health.retry_at = 0.0  # the next test starts with a cache worth asking


def break_redis(server: RedisServer, how: str) -> None:
    if how == "stopped":
        server.stop()
    else:
        server.freeze()


FAULTS = ["stopped", "frozen"]


@pytest.mark.timing
@pytest.mark.parametrize("how", FAULTS)
def test_a_booking_returns_normally(redis, how, caplog):
    screening = ScreeningFactory(capacity=4)
    TicketFactory.create_batch(2, film=screening.film)
    code = AccessCodeFactory()
    break_redis(redis, how)
    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        reservation = Reservation.objects.create(
            screening=screening, access_code=code, quantity=2, name="Mary Holly", email="mary@example.com"
        )
        elapsed = time.monotonic() - started
    assert Reservation.objects.filter(pk=reservation.pk, quantity=2).exists()
    assert reservation.tickets.count() == 2
    assert elapsed < 1, f"the booking took {elapsed:.2f} s"
    assert "API cache" in caplog.text


@pytest.mark.parametrize("how", FAULTS)
def test_the_api_answers_from_the_database(client, redis, how, caplog):
    FilmFactory(name="Elf")
    assert client.get("/api/films/", HTTP_ACCEPT="application/json").status_code == 200  # cached while up
    FilmFactory(name="Muppets")
    errors = health.errors
    break_redis(redis, how)
    with caplog.at_level(logging.WARNING, logger="backoffice.campaign.api.cache"):
        films = client.get("/api/films/", HTTP_ACCEPT="application/json")
        cinemas = client.get("/api/cinemas/", HTTP_ACCEPT="application/json")
    assert films.status_code == 200
    assert [f["name"] for f in films.json()["results"]] == ["Elf", "Muppets"]
    assert cinemas.status_code == 200
    assert "API cache unreachable" in caplog.text
    assert health.errors > errors


@pytest.mark.parametrize("how", FAULTS)
def test_admin_login_works(client, redis, how):
    # A booking agent: staff who hold no secrets sign in with a password alone.
    agent = get_user_model().objects.create_user("holly", "holly@example.com", "mistletoe-and-wine", is_staff=True)
    agent.user_permissions.add(Permission.objects.get(codename="view_reservation"))
    break_redis(redis, how)
    assert client.get(reverse("admin:login")).status_code == 200
    response = client.post(reverse("admin:login"), {"username": "holly", "password": "mistletoe-and-wine"})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.timing
def test_requests_stay_fast_while_redis_is_frozen(client, redis):
    screening = ScreeningFactory()
    urls = ["/api/films/", "/api/cinemas/", "/api/screenings/", f"/api/screenings/{screening.slug}/"]
    for url in urls:
        client.get(url, HTTP_ACCEPT="application/json")
    redis.freeze()
    timings = []
    for i in range(40):
        started = time.monotonic()
        response = client.get(urls[i % len(urls)], HTTP_ACCEPT="application/json")
        timings.append(time.monotonic() - started)
        assert response.status_code == 200
    p99 = sorted(timings)[int(len(timings) * 0.99) - 1]
    assert p99 < 1, f"p99 {p99:.2f} s while Redis is frozen"
