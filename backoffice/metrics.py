"""Prometheus metrics: requests by view, the scrape endpoint, and several processes per host.

The campaign's own figures are in backoffice/campaign/metrics.py. With ``PROMETHEUS_MULTIPROC_DIR``
set, every gunicorn and Celery process of a host writes its counters to files in that folder and
a scrape adds them up; without it, a scrape sees its own process. See docs/operations.md.

Importing this module reads no Django settings: gunicorn's config file imports ``worker_exited``.
"""

import hmac
import os
import time
from collections.abc import Callable
from wsgiref.simple_server import WSGIServer

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

REQUESTS = Counter("xmasfilms_http_requests", "Requests answered, by URL name.", ["view", "method", "status"])
REQUEST_SECONDS = Histogram(
    "xmasfilms_http_request_duration_seconds",
    "Time from the first middleware to the answer, by URL name.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Anything else a client sends as a method is counted as "other": labels stay a fixed set.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNRESOLVED = "unresolved"


def view_name(request: HttpRequest) -> str:
    """The URL's name (``admin:campaign_film_changelist``), never its path: one series per route."""
    match = request.resolver_match
    if match is None:  # answered before URL resolution: the API cache, whitenoise, a 404
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNRESOLVED
    return match.view_name or UNRESOLVED


class RequestMetricsMiddleware:
    """Count every answer by view, method and status, and time it. First in ``MIDDLEWARE``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        view = view_name(request)
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(view, method, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(view).observe(time.perf_counter() - started)
        return response


def processes_registry() -> CollectorRegistry:
    """Every process's counters from the shared folder, or this process's alone."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics_text() -> bytes:
    """The processes' counters, then the database's gauges (read now)."""
    from backoffice.campaign.metrics import CampaignCollector

    campaign = CollectorRegistry()
    campaign.register(CampaignCollector())
    return generate_latest(processes_registry()) + generate_latest(campaign)


def metrics(request: HttpRequest) -> HttpResponse:
    """``/metrics`` for a client with the bearer token; no token configured, no endpoint."""
    token = settings.METRICS_TOKEN
    if not token:
        response = HttpResponse("Not found.", status=404, content_type="text/plain; charset=utf-8")
    elif not hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()):
        response = HttpResponse("A bearer token is required.", status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    else:
        response = HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


def worker_exited(server: object, worker: object) -> None:
    """gunicorn's ``child_exit`` hook: a dead worker's gauges leave the sums (its counters stay)."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        multiprocess.mark_process_dead(worker.pid)


def worker_metrics_serve(bind: str) -> WSGIServer:
    """Serve this host's counters on ``bind`` (``address:port``) from a Celery worker, for hosts without gunicorn.

    The processes' counters only: the database's gauges come from the web hosts' ``/metrics``.
    """
    address, _, port = bind.rpartition(":")
    server, _ = start_http_server(int(port), addr=address or "127.0.0.1", registry=processes_registry())
    return server
