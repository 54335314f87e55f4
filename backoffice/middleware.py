"""Middleware for every part of the site: the admin, the API and the public site."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware

logger = logging.getLogger(__name__)

# What a 503 asks clients to wait: a lock or an overload usually clears within this.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = "The database is not answering just now; please try again in a minute."


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
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": UNAVAILABLE}, status=503)
        else:
            response = HttpResponse(UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


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
