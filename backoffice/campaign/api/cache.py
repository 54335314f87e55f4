"""Server-side cache of public API responses, and how a change to the data invalidates it.

Each response is stored under its full URL plus a *generation* number. Saving or deleting a
film, cinema, screening or reservation replaces the generation (after the transaction commits,
so no request can cache the old rows under the new number), and every stored response becomes
unreachable at once. Entries also expire after ``API_CACHE_SECONDS`` whatever happens, which
bounds staleness where invalidation cannot reach: writes that skip model signals (``update()``,
``bulk_create()``, raw SQL; their authors call ``api_cache_invalidate()``) and, with the
per-process local-memory cache, the other server processes. See docs/api.md.
"""

import hashlib
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils.cache import patch_cache_control

GENERATION_KEY = "api:generation"


def api_cache_invalidate() -> None:
    """Make every cached API response stale. Call it after a write that fires no model signals."""
    # A fresh value rather than incr(): works on every backend, and a value that was evicted
    # and recreated can never coincide with one an old entry was stored under.
    cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def _generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def _response_key(request: HttpRequest) -> str:
    # The browsable renderer (DEBUG only) answers browsers with HTML: keep it apart from JSON.
    flavour = "html" if "text/html" in request.headers.get("Accept", "") else "json"
    url = request.build_absolute_uri()
    digest = hashlib.sha256(f"{_generation()}|{flavour}|{url}".encode()).hexdigest()
    return f"api:response:{digest}"


def cache_api_response(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve GET/HEAD from the cache when possible; mark responses as publicly cacheable.

    Wraps the whole view, so a hit skips the framework's request handling and the database.
    Only successful responses are stored. A hit carries an ``Age`` header, so a browser or
    proxy counts the time already spent in this cache against ``max-age``.
    """

    @wraps(view)
    def cached_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in {"GET", "HEAD"}:
            return view(request, *args, **kwargs)
        seconds = settings.API_CACHE_SECONDS
        key = _response_key(request)
        entry = cache.get(key)
        if entry is not None:
            stored_at, content_type, content = entry
            response = HttpResponse(content, content_type=content_type)
            response["Age"] = str(max(0, int(time.time() - stored_at)))
        else:
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                if isinstance(response, SimpleTemplateResponse):
                    response.render()
                cache.set(key, (time.time(), response["Content-Type"], response.content), timeout=seconds)
        patch_cache_control(response, public=True, max_age=seconds)
        return response

    return cached_view
