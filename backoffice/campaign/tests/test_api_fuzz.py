"""The public API fuzzed from its own OpenAPI schema: no answer is a server error, every answer matches the schema."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from backoffice.campaign.factories import CinemaFactory, FilmFactory, ReservationFactory, ScreeningFactory

# The schema the API itself serves at /api/schema/, read once when the tests are collected.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def catalogue(db):
    # As Django's test client does: the test's connection holds its transaction across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()
    elf = FilmFactory(name="Elf")
    bath = CinemaFactory(name="Bath")
    ReservationFactory(screening=ScreeningFactory(film=elf, cinema=bath, capacity=2), quantity=2)
    ScreeningFactory(film=FilmFactory(name="The Muppet Christmas Carol"), cinema=CinemaFactory(name="York"))
    yield
    cache.clear()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=60,
    derandomize=True,  # the same cases on every run: `make test` must not flake
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_public_api_keeps_to_its_schema(catalogue, case):
    # The WSGI transport asks for gzip as requests does but never decompresses: ask for the plain
    # body (compressed answers are checked in test_public_site.py).
    case.call_and_validate(
        headers={"Accept-Encoding": "identity"}, checks=[not_a_server_error, response_schema_conformance]
    )
