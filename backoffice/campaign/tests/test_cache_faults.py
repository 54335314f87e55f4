"""A booking that committed never reports failure because the cache is down (Redis stopped or frozen)."""

import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.test import override_settings

from backoffice.campaign.factories import AccessCodeFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import Reservation

pytestmark = pytest.mark.django_db(transaction=True)  # the cache is cleared on a real commit

# As production configures Redis (backoffice/settings.py): a cache that does not answer costs
# a booking at most this long.
REDIS_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}


def redis_at(port: int):
    return override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{port}/11",
                "OPTIONS": REDIS_OPTIONS,
            }
        }
    )


@pytest.fixture
def stopped_redis() -> int:
    """A loopback port nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def frozen_redis() -> Iterator[int]:
    """A loopback socket that accepts connections and never answers.

    It gives up after a few seconds, so a client without timeouts fails this test instead of
    hanging it.
    """
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)  # the kernel completes the handshake; nobody ever reads or replies
    timer = threading.Timer(3, server.close)
    timer.start()
    yield server.getsockname()[1]
    timer.cancel()
    server.close()


@pytest.mark.parametrize("redis", ["stopped_redis", "frozen_redis"])
def test_a_booking_returns_normally_when_the_cache_is_down(request, redis, caplog):
    screening = ScreeningFactory(capacity=4)
    TicketFactory.create_batch(2, film=screening.film)
    code = AccessCodeFactory()
    with redis_at(request.getfixturevalue(redis)), caplog.at_level(logging.WARNING):
        started = time.monotonic()
        reservation = Reservation.objects.create(
            screening=screening, access_code=code, quantity=2, name="Mary Holly", email="mary@example.com"
        )
        elapsed = time.monotonic() - started
    assert Reservation.objects.filter(pk=reservation.pk, quantity=2).exists()
    assert reservation.tickets.count() == 2
    assert elapsed < 1, f"the booking took {elapsed:.2f} s"
    assert "API cache" in caplog.text
