"""The outbox end to end: real bookings, a real Celery worker on Redis, a real SMTP server.

Each test starts its own worker (a subprocess on this test's PostgreSQL database) and counts what
arrives at the SMTP server: one message per outbox row, whatever crashes on the way.
"""

import signal
import time
from collections import Counter

import pytest
from django.db import transaction
from django.test import override_settings

from backoffice.campaign.factories import AccessCodeFactory, FilmFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import Email, Reservation
from backoffice.campaign.services.emails import email_queue, emails_sweep
from backoffice.campaign.tests.conftest import publishing_to
from backoffice.campaign.tests.mail_support import calendar, qr_codes, text_part
from backoffice.campaign.tests.servers import RedisServer

pytestmark = [pytest.mark.postgresql, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def screening():
    film = FilmFactory(name="Elf")
    TicketFactory.create_batch(1000, film=film)
    return ScreeningFactory(film=film, capacity=1000)


def book(screening, n: int = 0, **fields) -> Reservation:
    defaults = {
        "access_code": AccessCodeFactory(),
        "quantity": 2,
        "name": "Mary Holly",
        "email": f"guest{n}@example.com",
    }
    return Reservation.objects.create(screening=screening, **{**defaults, **fields})


def wait_until_sent(count: int, *, timeout: float, sweep: bool = False) -> None:
    """Wait for ``count`` rows to be sent; with ``sweep``, run the beat sweeper meanwhile (as beat would)."""
    deadline = time.monotonic() + timeout
    while Email.objects.filter(status=Email.Status.SENT).count() < count:
        assert time.monotonic() < deadline, f"only {Email.objects.filter(status='sent').count()} of {count} sent"
        if sweep:
            with override_settings(EMAIL_SWEEP_GRACE_SECONDS=0):
                emails_sweep()
        time.sleep(0.5)


def by_message_id(mailbox) -> Counter:
    return Counter(message["Message-ID"] for message in mailbox.messages())


def test_booking_changing_and_cancelling_each_deliver_exactly_one_message(screening, mail_worker, smtp):
    mailbox, _ = smtp
    mail_worker.start()

    reservation = book(screening, quantity=3)
    assert mailbox.wait_for(1, timeout=30) == 1
    [confirmation] = mailbox.messages()
    codes = sorted(reservation.tickets.values_list("code", flat=True))
    assert confirmation["To"] == reservation.email
    assert reservation.reference in text_part(confirmation)
    assert all(code in text_part(confirmation) for code in codes)
    assert sorted(qr_codes(confirmation).values()) == codes
    assert calendar(confirmation).walk("VEVENT")[0].decoded("dtstart") == screening.starts_at

    Reservation.objects.update_booking(reservation, quantity=1)
    assert mailbox.wait_for(2, timeout=30) == 2
    update = mailbox.messages()[1]
    assert "Your booking has changed" in update["Subject"]
    assert sorted(qr_codes(update).values()) == list(reservation.tickets.values_list("code", flat=True))

    Reservation.objects.update_booking(reservation, quantity=0)
    assert mailbox.wait_for(3, timeout=30) == 3
    assert mailbox.messages()[2]["Subject"].startswith("Booking cancelled")

    time.sleep(1)  # nothing else on its way
    assert mailbox.count() == 3
    assert set(by_message_id(mailbox)) == set(Email.objects.values_list("message_id", flat=True))


def test_bookings_made_while_the_worker_is_stopped_are_all_delivered_once_it_starts(screening, mail_worker, smtp):
    mailbox, _ = smtp
    reservations = [book(screening, n, quantity=1) for n in range(200)]
    assert mailbox.count() == 0

    mail_worker.start()
    wait_until_sent(200, timeout=120)

    assert mailbox.wait_for(200, timeout=10) == 200
    time.sleep(1)
    received = Counter(message["To"] for message in mailbox.messages())
    assert received == Counter(reservation.email for reservation in reservations)
    assert set(by_message_id(mailbox).values()) == {1}


def test_a_worker_killed_while_sending_loses_nothing_and_repeats_at_most_what_it_had_in_hand(
    screening, mail_worker, smtp
):
    mailbox, _ = smtp
    payload = {
        "film": "Elf",
        "cinema": "York",
        "starts_at": screening.starts_at.isoformat(),
        "reference": "X",
        "name": "N",
        "seats": 1,
        "codes": ["TKT-1"],
    }
    with transaction.atomic():
        for n in range(400):
            email_queue(kind=Email.Kind.CONFIRMATION, to=f"guest{n}@example.com", payload=payload)
    mail_worker.start()
    assert mailbox.wait_for(60, timeout=120) >= 60

    mail_worker.kill()
    killed_at = mailbox.count()
    assert killed_at < 400, "the worker finished before it could be killed; queue more messages"
    mail_worker.start()
    wait_until_sent(400, timeout=300, sweep=True)

    received = by_message_id(mailbox)
    assert set(received) == set(Email.objects.values_list("message_id", flat=True))
    repeats = sum(received.values()) - len(received)
    # The solo pool handles one message at a time: at most that one can go out twice.
    assert repeats <= 1


@pytest.mark.timing
@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_bookings_made_while_the_broker_is_down_answer_at_once_and_their_emails_go_once_it_is_back(
    screening, start_worker, smtp, outage
):
    mailbox, _ = smtp
    redis = RedisServer().start()
    try:
        with publishing_to(redis.url):
            start_worker(redis.url)
            book(screening)  # this process now holds a broker connection, as a web process would
            assert mailbox.wait_for(1, timeout=30) == 1
            if outage == "stopped":
                redis.stop()
            else:
                redis.process.send_signal(signal.SIGSTOP)  # accepts connections, answers nothing

            waits = []
            for n in range(1, 6):
                started = time.monotonic()
                book(screening, n)
                waits.append(time.monotonic() - started)
            assert max(waits) < 0.5, [f"{wait:.3f} s" for wait in waits]
            assert Reservation.objects.filter(quantity=2).count() == 6

            if outage == "stopped":
                redis.start()
            else:
                redis.process.send_signal(signal.SIGCONT)
            wait_until_sent(6, timeout=60, sweep=True)
            assert mailbox.wait_for(6, timeout=10) == 6
            time.sleep(1)  # nothing else on its way
            received = Counter(message["To"] for message in mailbox.messages())
            assert received == Counter(f"guest{n}@example.com" for n in range(6))
            assert set(by_message_id(mailbox).values()) == {1}
    finally:
        if redis.process is not None:
            redis.process.send_signal(signal.SIGCONT)
        redis.delete()
