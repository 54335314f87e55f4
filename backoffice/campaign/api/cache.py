"""Server-side cache of public API responses, and how a change to the data invalidates it.

Each successful GET under ``/api/`` is stored under its path, the query parameters its endpoint
knows (sorted; page numbers and sizes by their value), its media type and whether the client
takes gzip (the answer is stored as ``ApiGZipMiddleware`` made it), plus a *generation* number.
Nothing else a client sends can make a new entry: a request with unknown parameters (or a page
size the list ignores) is answered from the entry without them (and never stored), and a media
type other than JSON is never cached. A ``Host`` not allowed is a 400, never a cache error.
Saving or deleting a film, cinema, screening or reservation replaces the generation (after the
transaction commits, so no request can cache the old rows under the new number), and every
stored response becomes unreachable at once. Entries also expire after ``API_CACHE_SECONDS``
whatever happens, which bounds staleness where invalidation cannot reach: writes that skip model
signals (``update()``, ``bulk_create()``, raw SQL; their authors call ``api_cache_invalidate()``)
and, with the per-process local-memory cache, the other server processes. See docs/api.md.

The cache is optional. A cache error is logged and counted, never raised: the request is answered
from the database, and the process leaves the cache alone for ``RETRY_SECONDS`` so that a frozen
Redis costs one socket timeout now and then rather than one on every request.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.gzip import re_accepts_gzip
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import urlencode

from backoffice.campaign import metrics
from backoffice.campaign.api.pagination import PAGINATION_PARAMS, PublicPagination

API_PREFIX = "/api/"
GENERATION_KEY = "api:generation"
# Long enough to outlive every entry stored under it; when it goes, those entries are simply stale.
GENERATION_SECONDS = 24 * 60 * 60
# Accept values answered from the cache, each with the one form it is keyed under. The default
# (no Accept, or */*) and JSON are what the site and API clients send; anything else (browsable
# pages, YAML, junk) reaches the view every time, so it cannot add entries.
CACHED_ACCEPT = {"": "*/*", "*/*": "*/*", "application/json": "application/json"}

# How long a process answers without the cache after a cache error before it tries again.
RETRY_SECONDS = 5

logger = logging.getLogger(__name__)


class CacheHealth:
    """This process's count of cache errors, and whether the cache is worth asking just now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.errors = 0
        self.retry_at = 0.0

    def available(self) -> bool:
        return time.monotonic() >= self.retry_at

    def failed(self, doing: str) -> None:
        with self._lock:
            self.errors += 1
            metrics.CACHE_ERRORS.inc()
            self.retry_at = time.monotonic() + RETRY_SECONDS
            errors = self.errors
        logger.warning(
            "API cache unreachable while %s (%d errors in this process); answering from the database, next try in %s s",
            doing,
            errors,
            RETRY_SECONDS,
            exc_info=True,
        )


health = CacheHealth()


def api_cache_invalidate() -> None:
    """Make every cached API response stale. Call it after a write that fires no model signals.

    Never raises: it runs after a write has committed, and a committed write must not report
    failure because the cache is down. Cached answers then expire after ``API_CACHE_SECONDS``.
    """
    # Tried even while reads skip the cache: a Redis that is back must not keep stale answers.
    try:
        # A fresh value rather than incr(): works on every backend, and a value that was evicted
        # and recreated can never coincide with one an old entry was stored under.
        cache.set(GENERATION_KEY, time.time_ns(), timeout=GENERATION_SECONDS)
    except Exception:
        health.failed(f"invalidating (cached answers expire within {settings.API_CACHE_SECONDS} s)")


def _generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns(), timeout=GENERATION_SECONDS)
        generation = cache.get(GENERATION_KEY)
    return generation


def known_params(request: HttpRequest) -> frozenset[str]:
    """The query parameters the endpoint answers to: ``format`` everywhere, and its view's ``query_params``.

    A viewset's ``query_params`` are its list's; its detail pages answer to none.
    """
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return frozenset()
    known = {"format"}  # DRF picks the renderer by it on every view
    actions = getattr(view, "actions", None)  # a viewset's: {"get": "list"} or {"get": "retrieve"}
    if actions is None or actions.get("get") == "list":
        known.update(getattr(getattr(view, "cls", None), "query_params", ()))
    return frozenset(known)


def cache_query(request: HttpRequest, known: frozenset[str]) -> tuple[str, bool]:
    """The query string an answer is keyed under, and whether the answer may be stored under it.

    Known parameters only, sorted; ``page`` and ``page_size`` by their meaning (``01000``,
    ``1000 `` and ``5000`` are all the page size 1,000), so spellings of one answer share one
    entry. A parameter the endpoint does not know, or a page size the list ignores (``abc``,
    ``0``: the default is used), is left out of the key and the answer is not stored.
    """
    storable = request.GET.keys() <= known
    params = []
    for name in sorted(known & request.GET.keys()):
        values = request.GET.getlist(name)
        if name in PAGINATION_PARAMS:
            value = PublicPagination.canonical(name, values[-1])  # the list reads the last one
            if value is None:
                storable = False
                continue
            values = [value]
        params.append((name, values))
    return urlencode(params, doseq=True), storable


def _response_key(request: HttpRequest, host: str, query: str, accept: str) -> str:
    # Accept picks the format, so it is part of the key; responses say so with Vary: Accept.
    # The host stays in the key because answers carry absolute URLs (next pages, images).
    url = f"{request.scheme}://{host}{request.path}?{query}"
    # Two forms only, so junk in Accept-Encoding cannot add entries either.
    encoding = "gzip" if re_accepts_gzip.search(request.headers.get("Accept-Encoding", "")) else "identity"
    digest = hashlib.sha256(f"{_generation()}|{accept}|{encoding}|{url}".encode()).hexdigest()
    return f"api:response:{digest}"


class ApiCacheMiddleware:
    """Serve repeated API GETs from the cache and mark API answers as publicly cacheable.

    Sits near the top of ``MIDDLEWARE`` (after the security and static-file middleware), so a
    hit skips the session, CSRF, auth and message middleware, the framework's request handling
    and the database (it resolves the URL only to learn which parameters the endpoint knows).
    A stored response is replayed with every header it had (content type, length, frame
    options...) plus ``Age``, the seconds it has spent here, which browsers and proxies count
    against ``max-age``. Only complete 200 answers to GET that set no cookie, asked for with no
    unknown parameters, are stored. It is also where the API refuses every method but GET and
    HEAD, OPTIONS included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if request.method not in {"GET", "HEAD"}:
            # The API is read-only: OPTIONS too is refused, before any view offers its metadata.
            response = JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        known = known_params(request)
        query, storable = cache_query(request, known)
        key, entry = _lookup(request, query)
        if entry is not None:
            stored_at, headers, content = entry
            response = HttpResponse(content, headers=headers)
            response["Age"] = str(max(0, int(time.time() - stored_at)))
            return response

        response = self.get_response(request)
        if response.status_code < 500:
            patch_cache_control(response, public=True, max_age=settings.API_CACHE_SECONDS)
            patch_vary_headers(response, ["Accept"])
        if (
            key is not None
            and storable
            and request.method == "GET"
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
        ):
            entry = (time.time(), dict(response.items()), response.content)
            try:
                cache.set(key, entry, timeout=settings.API_CACHE_SECONDS)
            except Exception:
                health.failed("storing a response")
        return response


def _lookup(request: HttpRequest, query: str) -> tuple[str | None, tuple | None]:
    """The request's cache key and stored entry; no key for a media type not cached or a cache that is down."""
    accept = CACHED_ACCEPT.get(request.headers.get("Accept", "").strip())
    if accept is None or not health.available():
        return None, None
    # Outside the try: a Host not in ALLOWED_HOSTS is the client's fault, not the cache's. It
    # raises DisallowedHost here, which Django answers with a 400; counted as a cache error it
    # would switch the cache off for every client.
    host = request.get_host()
    try:
        key = _response_key(request, host, query, accept)
        return key, cache.get(key)
    except Exception:
        health.failed("reading")
        return None, None
