"""Middleware for every part of the site: the admin, the API and the public site."""

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware

from backoffice import health, metrics

logger = logging.getLogger(__name__)

# What a 503 asks clients to wait: a lock or an overload usually clears within this.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = "The database is not answering just now; please try again in a minute."


def unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 a request gets when the database cannot serve it now: JSON for the API, text elsewhere."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": UNAVAILABLE}, status=503)
    else:
        response = HttpResponse(UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseSlotsMiddleware:
    """Let at most ``WEB_DATABASE_REQUESTS`` requests of this process past the API cache at once.

    Right after ``ApiCacheMiddleware``: a cached answer never waits here. When the database
    blocks (a locked table), requests that need it pile up until ``WEB_STATEMENT_TIMEOUT``;
    without a limit they take every thread of the process, and cached answers queue behind them
    for seconds. One request more than the limit is answered 503 at once instead, so the threads
    beyond the limit (deploy/gunicorn.conf.py keeps two) stay free for cached answers. 0 means
    no limit (``runserver``, tests).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        limit = settings.WEB_DATABASE_REQUESTS
        self.slots = threading.BoundedSemaphore(limit) if limit > 0 else None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.slots is None:
            return self.get_response(request)
        if not self.slots.acquire(blocking=False):
            logger.warning(
                "Database busy for %s %s: %d requests of this process already wait on it",
                request.method,
                request.path,
                settings.WEB_DATABASE_REQUESTS,
            )
            return unavailable(request)
        try:
            return self.get_response(request)
        finally:
            self.slots.release()


class DatabaseUnavailableMiddleware:
    """Answer 503 with Retry-After when the database fails a request: statement timed out, refused, gone.

    Last in ``MIDDLEWARE``, so it sees a view's exception first. DRF re-raises errors that are not
    its own, so API views come here too and get their usual ``{"detail": ...}`` shape.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError):
            return None
        logger.error("Database unavailable for %s %s: %s", request.method, request.path, exception)
        return unavailable(request)


class ContentSecurityPolicyMiddleware:
    """Hold every response, cached API answers and errors included, to ``CONTENT_SECURITY_POLICY``.

    Pages under ``CSP_INLINE_STYLE_PATHS`` (the admin's templates and Swagger UI carry inline
    styles) may also use inline styles; scripts everywhere come from our own origin only.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if request.path.startswith(tuple(settings.CSP_INLINE_STYLE_PATHS)):
            policy = f"{policy}; style-src 'self' 'unsafe-inline'"
        response.setdefault("Content-Security-Policy", policy)
        return response


class OperationsEndpointsMiddleware:
    """Answer ``/healthz``, ``/readyz`` and ``/metrics`` before anything else looks at the request.

    First in ``MIDDLEWARE``: a load balancer or Prometheus calls them by IP address over plain
    HTTP, which the host check and the HTTPS redirect would refuse, and none of them needs a
    session, a user or the API cache. They are not counted among the requests' metrics.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.endpoints = {"/healthz": health.healthz, "/readyz": health.readyz, "/metrics": metrics.metrics}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = self.endpoints.get(request.path_info)
        if endpoint is None:
            return self.get_response(request)
        if request.method not in {"GET", "HEAD"}:
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD", "Cache-Control": "no-store"})
        return endpoint(request)


class ApiGZipMiddleware(GZipMiddleware):
    """Gzip API answers for clients that accept it; every other response passes untouched.

    Only the API: its answers are public and read-only, carry no secret and no CSRF token, so a
    compression side channel (BREACH) has nothing to find there; pages of the admin do. Below
    ``ApiCacheMiddleware``, which keys its entries on whether the client takes gzip, so a cache hit
    replays the compressed answer without compressing again (docs/api.md). The site's files
    come ready compressed from whitenoise.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return response
        return super().process_response(request, response)
