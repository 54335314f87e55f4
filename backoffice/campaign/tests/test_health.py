"""/healthz and /readyz: cheap, never cached, and a 503 that names the part that is down.

Each readiness test runs its own redis-server as cache and broker, so stopping or freezing it
touches nothing else; heartbeats are written as a worker and beat would write them.
"""

import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from backoffice.campaign.tests.conftest import publishing_to, run_worker
from backoffice.campaign.tests.locking import table_frozen
from backoffice.campaign.tests.redis_server import RedisServer, redis_server
from backoffice.celery import BeatScheduler
from backoffice.celery import app as celery_app
from backoffice.health import BEAT_KEY, WORKER_KEY, heartbeat_write

# What a probe may cost at worst: the database's 0.3 s, then the cache's and the broker's 0.25 s.
WORST_CASE_SECONDS = 1.2


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    """A private Redis as the cache and the broker, with a worker and beat heard from just now."""
    with redis_server() as server, server.as_cache(), publishing_to(server.url):
        heartbeat_write(WORKER_KEY)
        heartbeat_write(BEAT_KEY)
        yield server


def readyz(client):
    started = time.monotonic()
    response = client.get("/readyz")
    return response, time.monotonic() - started


def failing(response) -> dict[str, str]:
    return {part: check["detail"] for part, check in response.json()["checks"].items() if not check["ok"]}


@pytest.mark.django_db
def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="10.0.0.5:8000")  # a probe by address
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_ready_when_every_part_answers(client, redis):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "worker", "beat"}
    assert body["checks"]["database"]["detail"] == "reachable, migrated"
    assert response["Cache-Control"] == "no-store"  # never kept by a proxy (bench/health.py times it)


@pytest.mark.django_db
def test_ready_answers_a_probe_by_address_and_refuses_writes(client, redis):
    assert client.get("/readyz", HTTP_HOST="10.0.0.5:8000").status_code == 200
    assert client.post("/readyz").status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["stopped", "frozen"])
def test_redis_down_is_named(client, redis, how):
    redis.stop() if how == "stopped" else redis.freeze()
    response, elapsed = readyz(client)
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert failing(response) == {
        "cache": "not reachable",
        "broker": "not reachable",
        "worker": "not known: the cache is not reachable",
        "beat": "not known: the cache is not reachable",
    }
    assert str(redis.port) not in response.content.decode()  # no address, no error text
    assert elapsed < WORST_CASE_SECONDS, f"/readyz took {elapsed:.2f} s"


@pytest.mark.django_db
def test_no_worker_heard_from_is_named(client, redis):
    cache.set(WORKER_KEY, time.time() - 600)
    cache.delete(BEAT_KEY)
    response, _ = readyz(client)
    assert response.status_code == 503
    assert failing(response) == {"worker": "last seen 600 s ago (limit 60 s)", "beat": "not seen for a day"}


@pytest.mark.django_db
def test_a_limit_of_zero_leaves_that_part_unchecked(client, redis, settings):
    cache.delete_many([WORKER_KEY, BEAT_KEY])
    settings.READY_WORKER_MAX_AGE = settings.READY_BEAT_MAX_AGE = 0
    response, _ = readyz(client)
    assert response.status_code == 200
    assert response.json()["checks"]["worker"]["detail"] == "not checked"


@pytest.mark.django_db
def test_a_database_not_migrated_is_named(client, redis):
    MigrationRecorder.Migration.objects.filter(app="campaign").order_by("-applied", "-id").first().delete()
    response, _ = readyz(client)
    assert response.status_code == 503
    assert failing(response) == {"database": "not migrated: 1 migration(s) not applied"}


@pytest.fixture
def frozen_migrations_table() -> Iterator[None]:
    """The table /readyz reads, locked by another connection."""
    with table_frozen("django_migrations"):
        yield


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_frozen_database_is_named_within_its_timeout(client, redis, frozen_migrations_table):
    response, elapsed = readyz(client)
    assert response.status_code == 503
    assert failing(response) == {"database": "not answering within 300 ms"}
    assert elapsed < WORST_CASE_SECONDS, f"/readyz took {elapsed:.2f} s"
    # The statement timeout ended with the check: this connection's next statement may wait longer.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] != "300ms"


@pytest.mark.django_db
def test_without_a_broker_tasks_run_here_and_need_no_worker(client, redis, eager_tasks):
    cache.delete_many([WORKER_KEY, BEAT_KEY])
    response, _ = readyz(client)
    assert response.status_code == 200
    assert response.json()["checks"]["worker"]["detail"] == "not used: tasks run in the web process"


@pytest.mark.django_db
def test_without_a_shared_cache_heartbeats_cannot_be_seen(client, redis, settings):
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    response, _ = readyz(client)
    assert response.status_code == 503
    assert failing(response)["worker"] == "not known: REDIS_URL is not set, so heartbeats cannot be shared"
    assert response.json()["checks"]["cache"] == {"ok": True, "detail": "per-process memory (no REDIS_URL)"}


@pytest.mark.django_db
def test_beat_writes_its_heartbeat_as_it_ticks(redis, tmp_path):
    cache.delete(BEAT_KEY)
    scheduler = BeatScheduler(app=celery_app, schedule_filename=str(tmp_path / "schedule"))
    with override_settings(WORKER_HEARTBEAT_SECONDS=15):
        assert scheduler.tick() <= 15
    assert time.time() - cache.get(BEAT_KEY) < 5


@pytest.mark.worker
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_running_worker_makes_the_host_ready(client, broker_url, private_files, settings):
    """A real worker writes its heartbeat from its own loop; /readyz reads it from the shared cache."""
    cache.delete(WORKER_KEY)
    settings.READY_BEAT_MAX_AGE = 0
    with run_worker(broker_url, private_files, WORKER_HEARTBEAT_SECONDS="1"):
        cache.delete(WORKER_KEY)  # written at start; wait for the next beat of its timer
        deadline = time.monotonic() + 10
        while cache.get(WORKER_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        response, _ = readyz(client)
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["worker"]["detail"] in {"last seen 0 s ago", "last seen 1 s ago"}
