"""``/healthz`` and ``/readyz`` for load balancers and orchestrators, and the heartbeats they read.

``/healthz`` says the process answers and touches nothing else. ``/readyz`` checks each part a
host needs, each within a short timeout so the whole answer is bounded (docs/operations.md):
the database (reachable, every migration applied), the cache and the broker (Redis), and that a
Celery worker and beat were heard from lately. Workers and beat write their heartbeats to the
cache (backoffice/celery.py); a part that is gone simply stops writing.

Answers name no host, address or error text: the cause goes to the log.
"""

import logging
import time
from functools import lru_cache

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest, JsonResponse

from backoffice.celery import app as celery_app

logger = logging.getLogger(__name__)

WORKER_KEY = "health:worker"
BEAT_KEY = "health:beat"
# Long past any readiness limit: an old heartbeat can still say how long ago it was.
HEARTBEAT_TTL_SECONDS = 24 * 60 * 60
# SQLSTATEs: a statement cancelled by statement_timeout; no migrations table (an empty database).
_QUERY_CANCELED = "57014"
_UNDEFINED_TABLE = "42P01"

Check = dict[str, bool | str]


def healthz(request: HttpRequest) -> JsonResponse:
    return _no_store(JsonResponse({"status": "ok"}))


def readyz(request: HttpRequest) -> JsonResponse:
    heartbeats = _cache_read()
    checks = {
        "database": _database(),
        "cache": heartbeats[0],
        "broker": _broker(),
        "worker": _heartbeat(heartbeats, WORKER_KEY, settings.READY_WORKER_MAX_AGE),
        "beat": _heartbeat(heartbeats, BEAT_KEY, settings.READY_BEAT_MAX_AGE),
    }
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    response = _no_store(JsonResponse(body, status=200 if ready else 503))
    if not ready:
        failing = ", ".join(f"{part} ({check['detail']})" for part, check in checks.items() if not check["ok"])
        logger.warning("Not ready: %s", failing)
        # Logged once, above, as a warning: Django would add an ERROR line for every 503, and a
        # probe every few seconds would flood the log and the error reports.
        response._has_been_logged = True
    return response


def heartbeat_write(key: str) -> None:
    """Record that a worker or beat is alive now; a cache that is down is logged, never raised."""
    try:
        cache.set(key, time.time(), timeout=HEARTBEAT_TTL_SECONDS)
    except Exception as error:
        logger.warning("Could not write the %s heartbeat to the cache: %s", key, error)


def _database() -> Check:
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # set_config(..., true) is SET LOCAL: it ends with the rollback below.
                with connection.cursor() as cursor:
                    timeout = f"{settings.READY_DATABASE_TIMEOUT_MS}ms"
                    cursor.execute("SELECT set_config('statement_timeout', %s, true)", [timeout])
            missing = _unapplied_migrations()
            transaction.set_rollback(True)  # nothing was written; nothing to keep
    except DatabaseError as error:
        logger.warning("Readiness: the database failed: %s", error)
        code = getattr(error.__cause__, "pgcode", None)
        if code == _QUERY_CANCELED:
            return _fail(f"not answering within {settings.READY_DATABASE_TIMEOUT_MS} ms")
        if code == _UNDEFINED_TABLE:
            return _fail("not migrated: no migrations table")
        return _fail("not reachable")
    if missing:
        return _fail(f"not migrated: {missing} migration(s) not applied")
    return _ok("reachable, migrated")


@lru_cache(maxsize=1)
def _latest_migrations() -> frozenset[tuple[str, str]]:
    """The last migration of each app, from the code: read once per process."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())


def _unapplied_migrations() -> int:
    applied = set(MigrationRecorder.Migration.objects.values_list("app", "name"))
    return len(_latest_migrations() - applied)


def _cache_read() -> tuple[Check, dict[str, float] | None]:
    """The cache's state, and the heartbeats read from it in the same round trip (None: not read)."""
    try:
        heartbeats = cache.get_many([WORKER_KEY, BEAT_KEY])
    except Exception as error:
        logger.warning("Readiness: the cache failed: %s", error)
        return _fail("not reachable"), None
    if not _cache_is_shared():
        return _ok("per-process memory (no REDIS_URL)"), heartbeats
    return _ok("reachable"), heartbeats


def _heartbeat(cached: tuple[Check, dict[str, float] | None], key: str, max_age: int) -> Check:
    if not max_age:
        return _ok("not checked")
    if celery_app.conf.task_always_eager:
        return _ok("not used: tasks run in the web process")
    _, heartbeats = cached
    if heartbeats is None:
        return _fail("not known: the cache is not reachable")
    if not _cache_is_shared():
        return _fail("not known: REDIS_URL is not set, so heartbeats cannot be shared")
    seen = heartbeats.get(key)
    if seen is None:
        return _fail("not seen for a day")
    age = max(0, round(time.time() - seen))
    if age > max_age:
        return _fail(f"last seen {age} s ago (limit {max_age} s)")
    return _ok(f"last seen {age} s ago")


def _broker() -> Check:
    url = celery_app.conf.broker_url or ""
    if celery_app.conf.task_always_eager:
        return _ok("not used: tasks run in the web process")
    if not url.startswith(("redis://", "rediss://")):
        return _ok("not checked (not Redis)")
    try:
        _broker_client(url).ping()
    except redis.RedisError as error:
        logger.warning("Readiness: the broker failed: %s", error)
        return _fail("not reachable")
    return _ok("reachable")


@lru_cache(maxsize=4)
def _broker_client(url: str) -> redis.Redis:
    """One client per broker URL and process: its pool keeps the connection, as a new one per probe cost 10 ms."""
    return redis.Redis.from_url(url, **settings.REDIS_CACHE_OPTIONS)


def _cache_is_shared() -> bool:
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


def _ok(detail: str) -> Check:
    return {"ok": True, "detail": detail}


def _fail(detail: str) -> Check:
    return {"ok": False, "detail": detail}


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response
