"""/metrics: only for the token, counters that move where things happen, gauges read from the database.

Counters live in this process's default registry (no PROMETHEUS_MULTIPROC_DIR here), so each test
reads a counter before and after what it does; the multiprocess test runs its own processes.
"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from backoffice.campaign.api.cache import health
from backoffice.campaign.factories import (
    AccessCodeFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.metrics import refusal_reason
from backoffice.campaign.models import AccessCode, AccessCodeBatch, DataRun, Email, Reservation, RunStatus, Screening
from backoffice.campaign.services.emails import email_deliver
from backoffice.campaign.services.locking import BUSY_MESSAGE
from backoffice.campaign.tests.locking import screening_locked_elsewhere
from backoffice.campaign.tests.redis_server import redis_server
from backoffice.campaign.tests.servers import free_port
from backoffice.metrics import metrics_text, worker_metrics_serve

TOKEN = "a-long-random-token-for-the-scraper-0123456789"
ROOT = Path(__file__).resolve().parents[3]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(text: bytes) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, keyed by name and sorted labels."""
    return {
        (each.name, tuple(sorted(each.labels.items()))): each.value
        for family in text_string_to_metric_families(text.decode())
        for each in family.samples
    }


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.mark.django_db
def test_without_a_token_configured_there_is_no_endpoint(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_a_scraper_without_the_token_is_refused(client, token, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert b"xmasfilms" not in response.content


@pytest.mark.django_db
def test_the_scraper_with_the_token_reads_every_metric(client, token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="10.0.0.5:8000")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "xmasfilms_http_requests",
        "xmasfilms_http_request_duration_seconds",
        "xmasfilms_bookings_made",
        "xmasfilms_bookings_refused",
        "xmasfilms_emails_sent",
        "xmasfilms_emails",
        "xmasfilms_emails_oldest_waiting_seconds",
        "xmasfilms_runs",
        "xmasfilms_runs_stuck",
        "xmasfilms_cache_errors",
        "xmasfilms_lock_wait_timeouts",
    } <= names


@pytest.mark.django_db
def test_requests_are_counted_by_url_name_never_by_path(client):
    film = FilmFactory()
    before = sample("xmasfilms_http_requests_total", view="api:film-detail", method="GET", status="200")
    timed = sample("xmasfilms_http_request_duration_seconds_count", view="api:film-detail")
    for _ in range(2):
        assert client.get(f"/api/films/{film.slug}/", HTTP_ACCEPT="application/json").status_code == 200
    missing = sample("xmasfilms_http_requests_total", view="api:film-detail", method="GET", status="404")
    client.get("/api/films/no-such-film/")
    unresolved = sample("xmasfilms_http_requests_total", view="unresolved", method="other", status="404")
    client.generic("BREW", "/static/no-such-file.css")

    assert sample("xmasfilms_http_requests_total", view="api:film-detail", method="GET", status="200") == before + 2
    assert sample("xmasfilms_http_request_duration_seconds_count", view="api:film-detail") == timed + 3
    assert sample("xmasfilms_http_requests_total", view="api:film-detail", method="GET", status="404") == missing + 1
    assert sample("xmasfilms_http_requests_total", view="unresolved", method="other", status="404") == unresolved + 1
    assert not any(film.slug in str(labels) for _, labels in scraped(metrics_text()))


@pytest.mark.django_db
def test_the_outbox_and_the_runs_are_read_in_three_queries(django_assert_num_queries, settings):
    now = timezone.now()
    Email.objects.bulk_create(
        [Email(kind=Email.Kind.DOOR_LIST, to="door@example.com", status=Email.Status.SENT) for _ in range(3)]
        + [Email(kind=Email.Kind.CONFIRMATION, to="wait@example.com") for _ in range(2)]
        + [Email(kind=Email.Kind.CONFIRMATION, to="bad@example.com", status=Email.Status.FAILED)]
    )
    Email.objects.filter(to="wait@example.com").update(created_at=now - dt.timedelta(minutes=30))
    running = AccessCodeBatch.objects.bulk_create(
        [AccessCodeBatch(requested_count=10, status=RunStatus.RUNNING) for _ in range(2)]
    )
    stale = now - dt.timedelta(seconds=settings.RUN_STALE_SECONDS + 60)
    AccessCodeBatch.objects.filter(pk=running[0].pk).update(updated_at=stale)
    AccessCodeBatch.objects.create(requested_count=10, status=RunStatus.COMPLETED)

    with django_assert_num_queries(3):
        samples = scraped(metrics_text())

    assert samples[("xmasfilms_emails", (("status", "queued"),))] == 2
    assert samples[("xmasfilms_emails", (("status", "failed"),))] == 1
    assert 30 * 60 <= samples[("xmasfilms_emails_oldest_waiting_seconds", ())] < 31 * 60
    assert samples[("xmasfilms_runs", (("kind", "codes"), ("status", "running")))] == 2
    assert samples[("xmasfilms_runs", (("kind", "codes"), ("status", "completed")))] == 1
    assert samples[("xmasfilms_runs_stuck", (("kind", "codes"),))] == 1
    assert samples[("xmasfilms_runs", (("kind", "spreadsheet"), ("status", "queued")))] == 0
    assert DataRun.objects.count() == 0


@pytest.mark.django_db
def test_an_empty_outbox_has_no_age():
    assert scraped(metrics_text())[("xmasfilms_emails_oldest_waiting_seconds", ())] == 0


def book(screening, code, *, quantity=1, email="holly@example.com"):
    return Reservation.objects.create(
        screening=screening, access_code=code, quantity=quantity, name="Holly Berry", email=email
    )


@pytest.fixture
def screening():
    screening = ScreeningFactory(capacity=2)
    TicketFactory.create_batch(4, film=screening.film)
    return screening


@pytest.mark.django_db
def test_a_booking_is_counted_once_it_commits(screening, django_capture_on_commit_callbacks):
    before = sample("xmasfilms_bookings_made_total")
    with django_capture_on_commit_callbacks(execute=True):
        book(screening, AccessCodeFactory())
    assert sample("xmasfilms_bookings_made_total") == before + 1


@pytest.mark.django_db
def test_a_booking_rolled_back_is_not_counted(screening, django_capture_on_commit_callbacks):
    before = sample("xmasfilms_bookings_made_total")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        book(screening, AccessCodeFactory())
    callbacks.clear()  # the outer transaction (an import's preview, say) rolls back
    assert sample("xmasfilms_bookings_made_total") == before


def refusal(screening, reason):
    """Book what ``reason`` refuses, and return the reason's counter before and after."""
    before = sample("xmasfilms_bookings_refused_total", reason=reason)
    code = AccessCodeFactory()
    if reason == "seats":
        attempt = lambda: book(screening, code, quantity=3)  # noqa: E731
    elif reason == "code_used_up":
        ReservationFactory(screening=screening, access_code=code, quantity=1).allocate_tickets()
        attempt = lambda: book(screening, code)  # noqa: E731
    elif reason == "code_other_film":
        attempt = lambda: book(screening, AccessCodeFactory(valid_for=FilmFactory()))  # noqa: E731
    elif reason == "closed":
        soon = ScreeningFactory(film=screening.film, starts_at=timezone.now() + dt.timedelta(minutes=10))
        attempt = lambda: book(soon, code)  # noqa: E731
    elif reason == "email_taken":
        ReservationFactory(screening=screening, quantity=1, email="holly@example.com").allocate_tickets()
        attempt = lambda: book(screening, code)  # noqa: E731
    elif reason == "code_withdrawn":
        AccessCode.objects.filter(pk=code.pk).update(blocked_at=timezone.now(), blocked_reason="Posted online")
        attempt = lambda: book(screening, code)  # noqa: E731
    elif reason == "screening_cancelled":
        Screening.objects.filter(pk=screening.pk).update(cancelled_at=timezone.now(), cancellation_reason="Snow")
        attempt = lambda: book(screening, code)  # noqa: E731
    with pytest.raises(ValidationError):
        attempt()
    return before, sample("xmasfilms_bookings_refused_total", reason=reason)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "reason",
    ["seats", "code_used_up", "code_other_film", "closed", "email_taken", "code_withdrawn", "screening_cancelled"],
)
def test_a_refused_booking_is_counted_by_its_reason(screening, reason):
    before, after = refusal(screening, reason)
    assert after == before + 1


@pytest.mark.django_db
def test_running_out_of_ticket_stock_counts_as_seats():
    screening = ScreeningFactory(capacity=5)
    TicketFactory(film=screening.film)
    before = sample("xmasfilms_bookings_refused_total", reason="seats")
    with pytest.raises(ValidationError, match="Not enough tickets"):
        book(screening, AccessCodeFactory(), quantity=2)
    assert sample("xmasfilms_bookings_refused_total", reason="seats") == before + 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ValidationError({"access_code": ValidationError("Refused.", code="code_withdrawn")}), "code_withdrawn"),
        (ValidationError({"__all__": [BUSY_MESSAGE]}), "busy"),
        (ValidationError({"name": "Enter a name."}), "other"),
        (ValidationError("Something else."), "other"),
    ],
)
def test_refusals_written_elsewhere_fall_in_the_fixed_set(error, reason):
    assert refusal_reason(error) == reason


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_lock_wait_that_gives_up_counts_as_busy(screening, settings):
    settings.RESERVATION_LOCK_TIMEOUT_MS = 200
    busy = sample("xmasfilms_bookings_refused_total", reason="busy")
    timeouts = sample("xmasfilms_lock_wait_timeouts_total")
    with screening_locked_elsewhere(screening), pytest.raises(ValidationError, match="try again"):
        book(screening, AccessCodeFactory())
    assert sample("xmasfilms_bookings_refused_total", reason="busy") == busy + 1
    assert sample("xmasfilms_lock_wait_timeouts_total") == timeouts + 1


@pytest.mark.django_db
def test_a_cache_error_the_api_swallows_is_counted(client):
    FilmFactory()
    with redis_server() as server, server.as_cache():
        server.stop()
        before = sample("xmasfilms_cache_errors_total")
        assert client.get("/api/films/", HTTP_ACCEPT="application/json").status_code == 200
    health.retry_at = 0.0
    assert sample("xmasfilms_cache_errors_total") > before


@pytest.mark.django_db
def test_processes_of_a_host_are_added_up(tmp_path, monkeypatch):
    """Two processes (two gunicorn workers, or a worker and gunicorn) write to one folder; a scrape sums them."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    count = (
        "import django; django.setup()\n"
        "from backoffice.campaign.metrics import BOOKINGS_REFUSED\n"
        "BOOKINGS_REFUSED.labels('seats').inc()\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "DJANGO_SETTINGS_MODULE": "backoffice.settings"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], cwd=ROOT, env=env, check=True, timeout=60)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    samples = scraped(metrics_text())
    assert samples[("xmasfilms_bookings_refused_total", (("reason", "seats"),))] == 2
    assert samples[("xmasfilms_bookings_refused_total", (("reason", "closed"),))] == 0


@pytest.mark.django_db
def test_an_email_handed_to_the_smtp_server_is_counted(screening, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    book(screening, AccessCodeFactory())
    email = Email.objects.get()
    before = sample("xmasfilms_emails_sent_total")
    assert email_deliver(email.pk)
    assert not email_deliver(email.pk)  # sent already: nothing goes, nothing is counted
    assert sample("xmasfilms_emails_sent_total") == before + 1


def test_a_worker_serves_its_hosts_counters_on_its_own_address():
    port = free_port()
    server = worker_metrics_serve(f"127.0.0.1:{port}")
    try:
        with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read()
    finally:
        server.shutdown()
        server.server_close()
    names = {family.name for family in text_string_to_metric_families(text.decode())}
    assert {"xmasfilms_bookings_made", "xmasfilms_emails_sent"} <= names
    assert "xmasfilms_emails" not in names  # the database's gauges come from the web hosts
