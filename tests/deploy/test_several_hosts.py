"""Several hosts on one PostgreSQL and one Redis, as real processes: what one host does, the other sees.

Two web hosts (each its own gunicorn, on 127.0.0.2 and 127.0.0.3), two Celery workers and two
beat processes share the test database, a throwaway Redis (cache and broker) and the private
files folder, and send to an SMTP server in this process. Nothing stands in front of the hosts:
each test talks to them directly.
"""

import datetime as dt
import http.client
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils import timezone

from backoffice.campaign.factories import AccessCodeFactory, FilmFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import AccessCodeBatch, Email, Reservation, Screening
from backoffice.campaign.services.access_codes import access_code_batch_csv
from backoffice.campaign.services.emails import email_queue
from backoffice.campaign.tests.conftest import publishing_to, wait_for
from backoffice.campaign.tests.otp_support import verified_login
from backoffice.campaign.tests.servers import Mailbox, Worker, free_port, redis_server, smtp_server
from tests.deploy.servers import Beat, Gunicorn

# One process runs the module: its hosts, workers and beats start once (SHARED_FIXTURE_MODULES in conftest.py).
pytestmark = [pytest.mark.postgresql, pytest.mark.hosts, pytest.mark.django_db(transaction=True)]

HOSTS = ("127.0.0.2", "127.0.0.3")
# The name visitors use, which nginx passes on to whichever host it picks (API answers are cached
# per host name, as they carry absolute URLs).
SITE_NAME = "films.example.org"


@dataclass
class Site:
    web: list[Gunicorn]
    workers: list[Worker]
    beats: list[Beat]
    mailbox: Mailbox
    broker: str


@pytest.fixture(scope="module")
def site(test_database_url, tmp_path_factory) -> Iterator[Site]:
    private = tmp_path_factory.mktemp("private")
    started: list = []
    with redis_server() as redis, smtp_server() as (mailbox, smtp_port):
        shared = {
            "DATABASE_URL": test_database_url,
            "REDIS_URL": redis.url,
            "CELERY_BROKER_URL": redis.url,
            "PRIVATE_ROOT": str(private),
            "LOG_LEVEL": "WARNING",
        }
        # A send whose worker died may be tried again after 3 s, and beat's sweep republishes it
        # 10 s later (production: a minute each). A shorter grace would have beat republish the
        # whole waiting queue again and again while the workers are still working through it.
        outbox = {"EMAIL_SEND_LEASE_SECONDS": "3", "EMAIL_SWEEP_GRACE_SECONDS": "10"}
        # Two processes of four threads a host: two hosts and their workers share this machine's cores.
        web_env = {**shared, "DEBUG": "1", "ALLOWED_HOSTS": SITE_NAME, "WEB_CONCURRENCY": "2", "WEB_THREADS": "4"}
        worker_env = {"broker_url": redis.url, "database_url": test_database_url, "smtp_port": smtp_port}
        try:
            web = [Gunicorn(host=host, port=free_port(), env={**os.environ, **web_env}) for host in HOSTS]
            workers = [Worker(**worker_env, **shared, **outbox, CODE_RUN_BATCH_SIZE="1000") for _ in range(2)]
            beats = [Beat(env={**os.environ, **shared, **outbox, "DEBUG": "1"}) for _ in range(2)]
            started.extend([*web, *workers, *beats])
            with ThreadPoolExecutor(len(started)) as pool:  # each start waits until it answers
                list(pool.map(lambda process: process.start(), started))
            yield Site(web=web, workers=workers, beats=beats, mailbox=mailbox, broker=redis.url)
        finally:
            with ThreadPoolExecutor(len(started) or 1) as pool:
                list(pool.map(lambda process: process.close(), started))


class Browser:
    """One staff member's session cookie and CSRF token, sent to whichever host is asked."""

    def __init__(self, session: str) -> None:
        self.cookies = {settings.SESSION_COOKIE_NAME: session}

    def request(self, host: Gunicorn, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(host.host, host.port, timeout=30)
        headers = {"Host": SITE_NAME, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.cookies["csrftoken"]})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";")[0]
        conn.close()
        return response.status, content

    def post_form(self, host: Gunicorn, path: str, form: dict) -> tuple[int, bytes]:
        """GET the form's page (for its CSRF cookie), then POST ``form`` to it."""
        status, content = self.request(host, "GET", path)
        assert status == 200, content[:300]
        return self.request(host, "POST", path, form)


@pytest.fixture
def staff() -> Browser:
    admin = get_user_model().objects.create_superuser("hosts-admin", "admin@example.com", "not-used-here")
    client = Client()
    verified_login(client, admin)
    return Browser(client.cookies[settings.SESSION_COOKIE_NAME].value)


def api_get(host: Gunicorn, path: str) -> tuple[dict, bool]:
    """The API's answer from ``host``, and whether it came from the cache (cached answers carry ``Age``)."""
    conn = http.client.HTTPConnection(host.host, host.port, timeout=30)
    conn.request("GET", path, headers={"Host": SITE_NAME, "Accept": "application/json"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 200, body[:300]
    return json.loads(body), response.getheader("Age") is not None


def cached_answer(host: Gunicorn, path: str) -> dict:
    """Ask ``host`` until it answers from the cache (a loaded machine may time a cache call out)."""
    deadline = time.monotonic() + 30
    while True:
        answer, cached = api_get(host, path)
        if cached:
            return answer
        assert time.monotonic() < deadline, f"{path} never came from the cache"
        time.sleep(0.2)


def test_a_booking_on_one_host_shows_in_the_other_hosts_cached_api_at_its_next_request(site, staff):
    one, other = site.web
    film = FilmFactory(name="Elf")
    TicketFactory.create_batch(10, film=film)
    screening = ScreeningFactory(film=film, capacity=10, starts_at=timezone.now() + dt.timedelta(days=3))
    url = f"/api/screenings/{screening.slug}/"
    assert cached_answer(other, url)["seats_left"] == 10

    # One cache for both hosts: a change that bypasses the booking rules (and so their
    # invalidation) shows on neither, and the host that never answered this URL has it cached.
    Screening.objects.filter(pk=screening.pk).update(capacity=9)
    assert cached_answer(one, url)["seats_left"] == 10

    form = {
        "name": "Mary Holly",
        "email": "mary@example.com",
        "screening": screening.pk,
        "access_code": AccessCodeFactory().pk,
        "quantity": 2,
    }
    status, content = staff.post_form(one, "/admin/campaign/reservation/add/", form)
    assert status == 302, content[:500]
    assert Reservation.objects.get().quantity == 2
    answer, cached = api_get(other, url)
    assert (answer["seats_left"], cached) == (7, False)


def test_a_code_run_started_on_one_host_downloads_from_the_other(site, staff):
    one, other = site.web
    status, content = staff.post_form(
        one, "/admin/campaign/accesscode/generate/", {"count": 3000, "film": "", "max_usages": 1}
    )
    assert status == 302, content[:500]
    batch = AccessCodeBatch.objects.get()
    wait_for(batch, lambda b: b.status == "completed", timeout=60, progress="batch {r.pk}: {r.status}")

    status, content = staff.request(other, "GET", f"/admin/campaign/accesscodebatch/{batch.pk}/result/")
    assert status == 200, content[:500]
    assert content.decode() == "".join(access_code_batch_csv(batch=batch))
    assert content.decode().count("\n") == 3001  # a header and the codes


def test_a_thousand_emails_go_out_across_two_workers_with_one_killed_midway(site):
    mailbox = site.mailbox
    payload = {"film": "Elf", "cinema": "York", "starts_at": "2026-12-24T18:30:00+00:00", "reference": "X"}
    payload |= {"name": "N", "seats": 1, "codes": ["TKT-1"]}
    with publishing_to(site.broker), transaction.atomic():
        for n in range(1000):
            email_queue(kind=Email.Kind.CONFIRMATION, to=f"guest{n}@example.com", payload=payload)
    ours = set(Email.objects.values_list("message_id", flat=True))
    assert len(ours) == 1000

    def received() -> Counter:
        return Counter(m["Message-ID"] for m in mailbox.messages() if m["Message-ID"] in ours)

    # Anything else arriving meanwhile (an earlier test's confirmation) only makes the kill come sooner.
    kill_at = mailbox.count() + 400
    assert mailbox.wait_for(kill_at, timeout=120) >= kill_at, "the workers did not start sending"
    killed, survivor = site.workers
    killed.kill()
    assert sum(received().values()) < 1000, "the workers finished before one could be killed; queue more"

    deadline = time.monotonic() + 90
    while Email.objects.filter(status=Email.Status.SENT).count() < 1000:
        sent = Email.objects.filter(status=Email.Status.SENT).count()
        assert time.monotonic() < deadline, f"only {sent} of 1,000 sent"
        time.sleep(0.2)

    counts = received()
    assert set(counts) == ours, "a message was lost"
    # At least once (docs/emails.md): the message the killed worker had in hand when it died may
    # have reached the SMTP server without being marked sent; it goes again once its lease ends.
    # Each worker runs one task at a time, so at most that one message can arrive twice.
    repeats = sum(counts.values()) - len(counts)
    assert repeats <= 1, f"{repeats} messages arrived twice"
    print(f"1,000 emails across two workers, one killed: {repeats} sent twice")
    assert re.search(r"Task backoffice\.campaign\.tasks\.email_send\[.*\] succeeded", survivor.output())


def test_two_beat_processes_queue_each_reminder_once(site):
    film = FilmFactory(name="Elf")
    TicketFactory.create_batch(60, film=film)
    screening = ScreeningFactory(film=film, capacity=60, starts_at=timezone.now() + dt.timedelta(hours=3))
    reservations = [
        Reservation.objects.create(
            screening=screening, access_code=AccessCodeFactory(), quantity=2, name="N", email=f"guest{n}@example.com"
        )
        for n in range(30)
    ]
    # Booked days ago: a booking confirmed inside the reminder window gets no reminder.
    Email.objects.filter(reservation__in=reservations).update(created_at=timezone.now() - dt.timedelta(days=5))
    before = [beat.sent("reminders-queue") for beat in site.beats]
    deadline = time.monotonic() + 60
    # Both beats publish reminders several times after the bookings; every reminder is then sent.
    while min(
        beat.sent("reminders-queue") - seen for beat, seen in zip(site.beats, before, strict=True)
    ) < 3 or Email.objects.filter(kind=Email.Kind.REMINDER, status=Email.Status.SENT).count() < len(reservations):
        assert time.monotonic() < deadline, (
            f"{Email.objects.filter(kind=Email.Kind.REMINDER).count()} reminders queued, beats published "
            f"{[beat.sent('reminders-queue') for beat in site.beats]} times"
        )
        time.sleep(0.2)

    reminders = Email.objects.filter(kind=Email.Kind.REMINDER)
    assert Counter(reminders.values_list("reservation_id", flat=True)) == {r.pk: 1 for r in reservations}
    ids = set(reminders.values_list("message_id", flat=True))
    arrived = Counter(m["Message-ID"] for m in site.mailbox.messages() if m["Message-ID"] in ids)
    assert arrived == dict.fromkeys(ids, 1)
