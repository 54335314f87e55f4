"""Server-side cache of public API responses, and how a change to the data invalidates it.

Each successful GET under ``/api/`` is stored under its full URL plus a *generation* number.
Saving or deleting a film, cinema, screening or reservation replaces the generation (after the
transaction commits, so no request can cache the old rows under the new number), and every
stored response becomes unreachable at once. Entries also expire after ``API_CACHE_SECONDS``
whatever happens, which bounds staleness where invalidation cannot reach: writes that skip model
signals (``update()``, ``bulk_create()``, raw SQL; their authors call ``api_cache_invalidate()``)
and, with the per-process local-memory cache, the other server processes. See docs/api.md.
"""

import hashlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

API_PREFIX = "/api/"
GENERATION_KEY = "api:generation"

logger = logging.getLogger(__name__)


def api_cache_invalidate() -> None:
    """Make every cached API response stale. Call it after a write that fires no model signals.

    Never raises: it runs after a write has committed, and a committed write must not report
    failure because the cache is down. Cached answers then expire after ``API_CACHE_SECONDS``.
    """
    try:
        # A fresh value rather than incr(): works on every backend, and a value that was evicted
        # and recreated can never coincide with one an old entry was stored under.
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)
    except Exception:
        logger.warning(
            "API cache not invalidated: the cache is unreachable; cached answers expire within %s s",
            settings.API_CACHE_SECONDS,
            exc_info=True,
        )


def _generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def _response_key(request: HttpRequest) -> str:
    # Accept picks the format (the schema as YAML or JSON, the browsable pages with DEBUG), so it
    # is part of the key; responses say so with Vary: Accept.
    accept = request.headers.get("Accept", "")
    url = request.build_absolute_uri()
    digest = hashlib.sha256(f"{_generation()}|{accept}|{url}".encode()).hexdigest()
    return f"api:response:{digest}"


class ApiCacheMiddleware:
    """Serve repeated API GETs from the cache and mark API answers as publicly cacheable.

    Sits near the top of ``MIDDLEWARE`` (after the security and static-file middleware), so a
    hit skips URL resolution, the session, CSRF, auth and message middleware, the framework's
    request handling and the database, for about a quarter of the CPU. A stored
    response is replayed with every header it had (content type, length, frame options...)
    plus ``Age``, the seconds it has spent here, which browsers and proxies count against
    ``max-age``. Only complete 200 answers to GET that set no cookie are stored.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in {"GET", "HEAD"} or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        key = _response_key(request)
        entry = cache.get(key)
        if entry is not None:
            stored_at, headers, content = entry
            response = HttpResponse(content, headers=headers)
            response["Age"] = str(max(0, int(time.time() - stored_at)))
            return response

        response = self.get_response(request)
        if response.status_code < 500:
            patch_cache_control(response, public=True, max_age=settings.API_CACHE_SECONDS)
            patch_vary_headers(response, ["Accept"])
        if request.method == "GET" and response.status_code == 200 and not response.streaming and not response.cookies:
            entry = (time.time(), dict(response.items()), response.content)
            cache.set(key, entry, timeout=settings.API_CACHE_SECONDS)
        return response
