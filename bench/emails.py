"""Confirmation emails with QR tickets, rendered and delivered by one Celery worker process.

10,000 queued confirmations (two tickets each, so two QR images, an HTML and a text part and a
calendar file per message) are published to Redis; then one worker (`celery -A backoffice worker
--pool solo`: one process) sends them to an SMTP server in this process (aiosmtpd). Measured from
the first message's arrival to the last one's, so worker start-up is not counted. Also reports
how long building one message takes (render time per email), measured in this process.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] python bench/emails.py
"""

import datetime as dt
import os
import secrets
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, percentile, scratch_database, setup_django, verdict

MESSAGES = 10_000
RENDER_SAMPLES = 500
TARGET_PER_SECOND = 100


def main() -> int:
    from backoffice.campaign.tests.servers import Worker, redis_server, smtp_server

    with scratch_database("emails") as url, smtp_server() as (mailbox, smtp_port):
        setup_django(url)
        broker = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")
        if broker:
            return run(url, broker, mailbox, smtp_port, Worker)
        with redis_server() as redis:
            return run(url, redis.url, mailbox, smtp_port, Worker)


def run(url: str, broker: str, mailbox, smtp_port: int, worker_class) -> int:
    from django.db import connections

    from backoffice.campaign.email_messages import SAMPLE_BOOKING, email_message
    from backoffice.campaign.models import Email
    from backoffice.celery import app

    starts_at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).replace(second=0, microsecond=0)
    rows = [
        Email(
            kind=Email.Kind.CONFIRMATION,
            to=f"guest{n}@example.com",
            payload={
                **SAMPLE_BOOKING,
                "starts_at": starts_at.isoformat(),
                "reference": f"R{n:07d}",
                "name": f"Guest {n}",
                "codes": [f"VUE-{n:06d}-1", f"VUE-{n:06d}-2"],
            },
        )
        for n in range(MESSAGES)
    ]
    Email.objects.bulk_create(rows, batch_size=2000)

    render = []
    for email in Email.objects.order_by("pk")[:RENDER_SAMPLES]:
        started = time.perf_counter()
        email_message(email).message().as_bytes(linesep="\r\n")
        render.append((time.perf_counter() - started) * 1000)
    print(
        f"render one confirmation (2 QR codes, HTML, text, .ics): median {statistics.median(render):.1f} ms, "
        f"p95 {percentile(render, 95):.1f} ms ({RENDER_SAMPLES} samples)"
    )

    app.conf.broker_url, app.conf.task_always_eager = broker, False
    os.environ["CELERY_BROKER_URL"] = broker
    app.control.purge()
    from backoffice.campaign.tasks import email_send

    with app.producer_or_acquire() as producer:
        for pk in Email.objects.order_by("pk").values_list("pk", flat=True):
            email_send.apply_async((pk,), producer=producer)
    connections.close_all()

    # Production settings (DEBUG off: no query log, no template debugging), as a deployed worker runs.
    production = {
        "DEBUG": "0",
        "OTP_REQUIRED": "1",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "localhost",
    }
    worker = worker_class(broker_url=broker, database_url=url, smtp_port=smtp_port, **production)
    worker.start()
    try:
        mailbox.wait_for(1, timeout=60)
        first, cpu_first = time.perf_counter(), cpu_seconds(worker.process.pid)
        received = mailbox.wait_for(MESSAGES, timeout=MESSAGES / 10)
        elapsed, cpu = time.perf_counter() - first, cpu_seconds(worker.process.pid) - cpu_first
    finally:
        worker.close()
    rate = (received - 1) / elapsed if elapsed else 0.0
    ids = Counter(message["Message-ID"] for message in mailbox.messages())
    repeats = sum(ids.values()) - len(ids)
    ok = received == MESSAGES and rate >= TARGET_PER_SECOND and repeats == 0
    print(
        f"delivered {received:,} of {MESSAGES:,} confirmations in {elapsed:.1f} s by one worker process: "
        f"{rate:,.0f} per second (bar >= {TARGET_PER_SECOND}), {repeats} repeats  {verdict(ok)}"
    )
    # On a shared machine the worker gets only part of a core; its own CPU time per message says
    # what one process does with a whole core, whatever else is running.
    per_message = cpu / max(received - 1, 1) * 1000
    print(
        f"worker CPU per message: {per_message:.1f} ms, so {1000 / per_message:,.0f} per second for one "
        f"fully used core; load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    return 0 if ok else 1


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
