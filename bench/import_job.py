"""Import 100,000 ticket codes as a background run: upload, check on the worker, confirm, import.

A staff member's path through the admin (Django's test client) with a real Celery worker on
Redis (REDIS_URL, or a throwaway redis-server) and a scratch PostgreSQL database this script
creates and drops. Each timed run loads a new file on top of the stock of the runs before it.
Then a file whose last row is bad: the check finds it and nothing is written.
Target: upload to imported < 60 s (median of 3).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/films .venv/bin/python bench/import_job.py
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

from common import ROOT, postgres_url, scratch_database, setup_django, verdict

ROWS = 100_000
TARGET_SECONDS = 60.0


def ticket_file(run: int, films: list[str], *, bad_last_row: bool = False) -> bytes:
    lines = ["code,film"]
    lines += [f"J{run}-{i:07d},{films[i % len(films)]}" for i in range(ROWS)]
    if bad_last_row:
        lines[-1] = f"J{run}-{0:07d},{films[0]}"  # the first row's code again
    return ("\n".join(lines) + "\n").encode()


def wait(run, test, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while True:
        run.refresh_from_db()
        if test(run):
            return run
        if time.monotonic() > deadline:
            raise SystemExit(f"run {run.pk} stuck: {run.phase} {run.status} {run.done:,}/{run.total:,}")
        time.sleep(0.05)


def import_once(client, content: bytes, name: str):
    """(check seconds, import seconds, run) from the upload to the imported rows."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from backoffice.campaign.models import DataRun

    started = time.perf_counter()
    response = client.post(
        reverse("admin:campaign_ticket_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile(name, content)},
    )
    if response.status_code != 302:
        raise SystemExit(f"the upload was not handed to the workers (HTTP {response.status_code})")
    run = DataRun.objects.latest("pk")
    run = wait(run, lambda r: r.status not in ("queued", "running"))
    checked = time.perf_counter()
    if run.status != "completed" or run.outcome.get("error_count"):
        return checked - started, None, run
    client.post(reverse("admin:campaign_datarun_confirm", args=[run.pk]))
    run = wait(run, lambda r: r.phase == "apply" and r.status not in ("queued", "running"))
    if run.status != "completed":
        raise SystemExit(f"the import ended {run.status}: {run.message}")
    return checked - started, time.perf_counter() - checked, run


def measure(runs: int) -> int:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from backoffice.campaign.factories import FilmFactory
    from backoffice.campaign.models import Ticket

    films = [film.slug for film in FilmFactory.create_batch(6)]
    user = get_user_model().objects.create_superuser("bench", "bench@example.org", "-")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    totals = []
    for number in range(1, runs + 1):
        check, apply, _ = import_once(client, ticket_file(number, films), f"tickets-{number}.csv")
        stock = Ticket.objects.count()
        if apply is None or stock != ROWS * number:
            print(f"run {number}: expected {ROWS * number:,} tickets, found {stock:,}", file=sys.stderr)
            return 1
        totals.append(check + apply)
        print(f"run {number}: check {check:.2f} s, import {apply:.2f} s, total {check + apply:.2f} s", flush=True)

    stock = Ticket.objects.count()
    check, apply, run = import_once(client, ticket_file(runs + 1, films, bad_last_row=True), "bad.csv")
    unchanged = apply is None and Ticket.objects.count() == stock
    print(f"bad last row: check {check:.2f} s, {run.outcome.get('errors', ['?'])[0]}; nothing written: {unchanged}")

    median = statistics.median(totals)
    ok = median < TARGET_SECONDS and unchanged
    print(
        f"import {ROWS:,} ticket codes as a background run (upload, check, confirm, import), median of {runs}: "
        f"{median:.2f} s; target < {TARGET_SECONDS:.0f} s, a bad row writes nothing: {verdict(ok)}"
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    postgres_url()
    sys.path.insert(0, str(ROOT))
    from backoffice.campaign.tests.servers import Worker, redis_server

    def with_broker(broker: str) -> int:
        with scratch_database("bench_import_job") as url, tempfile.TemporaryDirectory() as private:
            setup_django(url, CELERY_BROKER_URL=broker, PRIVATE_ROOT=private)
            worker = Worker(broker_url=broker, database_url=url, smtp_port=1, PRIVATE_ROOT=private).start()
            try:
                return measure(args.runs)
            finally:
                worker.close()

    broker = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")
    if broker:
        return with_broker(broker)
    with redis_server() as redis:
        return with_broker(redis.url)


if __name__ == "__main__":
    sys.exit(main())
