"""Import 20,000 ticket codes through the admin: upload and preview, then confirm.

The path a staff member takes (django-import-export's dry run, then the real import), driven
by Django's test client against a scratch PostgreSQL database that this script creates and
drops. Each run loads a new file on top of the stock of the runs before it, so the duplicate
check works against a growing table. Target: preview + confirm < 20 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/films .venv/bin/python bench/import_tickets.py
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CODES = 20_000
TARGET_SECONDS = 20.0
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"')


def server_connection(config: dict):
    conn = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
    )
    conn.autocommit = True
    return conn


def ticket_file(run: int, films: list[str]) -> bytes:
    lines = ["code,film"]
    lines += [f"R{run}-{i:06d}-{(i * 7919) % 100_000:05d},{films[i % len(films)]}" for i in range(CODES)]
    return ("\n".join(lines) + "\n").encode()


def import_once(client, content: bytes, run: int) -> tuple[float, float]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    started = time.perf_counter()
    preview = client.post(
        "/admin/campaign/ticket/import/",
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile(f"tickets-{run}.csv", content)},
    )
    previewed = time.perf_counter()
    confirm = dict(HIDDEN_INPUT.findall(preview.content.decode()))
    if preview.status_code != 200 or "import_file_name" not in confirm:
        raise SystemExit(f"the preview offered no confirm button (HTTP {preview.status_code})")
    done = client.post("/admin/campaign/ticket/process_import/", confirm)
    confirmed = time.perf_counter()
    if done.status_code != 302 or not done["Location"].endswith("/admin/campaign/ticket/"):
        raise SystemExit(f"the confirm did not finish the import (HTTP {done.status_code})")
    return previewed - started, confirmed - previewed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must point at PostgreSQL", file=sys.stderr)
        return 2
    config = dj_database_url.parse(url)
    scratch = f"{config['NAME'] or 'postgres'}_bench_import_tickets"
    server = server_connection(config)
    with server.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    try:
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{scratch}"))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
        os.environ["DEBUG"] = "1"
        os.environ["OTP_REQUIRED"] = "0"  # the benchmark times the import, not the second factor
        return run(args.runs)
    finally:
        from django.db import connections

        connections.close_all()
        with server.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
        server.close()


def run(runs: int) -> int:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from backoffice.campaign.factories import FilmFactory
    from backoffice.campaign.models import DataExchangeLog, Ticket

    call_command("migrate", verbosity=0)
    films = [film.slug for film in FilmFactory.create_batch(6)]
    user = get_user_model().objects.create_superuser("bench", "bench@example.org", "-")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    totals, previews, confirms = [], [], []
    for number in range(1, runs + 1):
        preview, confirm = import_once(client, ticket_file(number, films), number)
        stock = Ticket.objects.count()
        if stock != CODES * number:
            print(f"run {number}: expected {CODES * number:,} tickets, found {stock:,}", file=sys.stderr)
            return 1
        previews.append(preview)
        confirms.append(confirm)
        totals.append(preview + confirm)
        print(f"run {number}: preview {preview:.2f} s, confirm {confirm:.2f} s, total {preview + confirm:.2f} s")
    assert DataExchangeLog.objects.filter(action="import", new_rows=CODES).count() == runs

    median = statistics.median(totals)
    verdict = "PASS" if median < TARGET_SECONDS else "FAIL"
    print(
        f"import {CODES:,} ticket codes via admin (preview + confirm), median of {runs}: {median:.2f} s "
        f"(preview {statistics.median(previews):.2f} s, confirm {statistics.median(confirms):.2f} s); "
        f"target < {TARGET_SECONDS:.0f} s: {verdict}"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
