"""Benchmark: generate_access_codes for a million codes, against a naive and a raw approach.

    DATABASE_URL=postgres://... python bench/access_codes.py [--count N] [--runs R]
    DATABASE_URL=postgres://... python bench/access_codes.py --linear   # 1M then 10M codes

Three ways to put N new codes in the database and a CSV file, each run in a subprocess of its
own (so that its peak RSS is its own), in turns, on a scratch database made for the purpose:

- ours:  ``manage.py generate_access_codes N`` end to end (Django start-up included);
- naive: ``secrets.choice`` per character, a set of 10,000, ``bulk_create``, and on an
  IntegrityError the whole batch thrown away and drawn again;
- raw:   bulk random bytes mapped in C, ``COPY`` through psycopg2 on one connection, no Django:
  about the least work one connection can do with the same table, indexes and constraints.

It also times "Generate access codes" from the admin for N codes as a run on a real Celery
worker (on REDIS_URL, or a throwaway redis-server): how long the request takes, and how long
until the run has completed, against the command's median for the same N; the run's CSV must
equal the database.

Prints wall time and peak RSS of every run, the medians, the ratios, and PASS/FAIL against the
targets; exits 1 when a target is missed.
"""

import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 8.0
TARGET_RSS_MB = 150.0
TARGET_VS_NAIVE = 8.0
TARGET_VS_RAW = 2.5
# Peak RSS may grow with N by at most this much between N/10 and N ("memory flat in N").
TARGET_RSS_GROWTH_MB = 20.0
# 10 x N codes may take at most this many times ten times N's ("linear in N", --linear).
TARGET_LINEAR = 1.1
TARGET_ADMIN_REQUEST = 1.0
TARGET_ADMIN_VS_COMMAND = 1.5
BATCH = 10_000
HEADER = "code,max_usages,film,batch,created_at\r\n"
ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXYZ"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variant", choices=["naive", "raw", "admin"], help=argparse.SUPPRESS)
    parser.add_argument("--skip", nargs="*", default=[], choices=["naive", "raw"], help="variants not to run")
    parser.add_argument(
        "--linear", action="store_true", help="only time COUNT then 10 x COUNT codes, and check the time is linear"
    )
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--connect", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant == "naive":
        return naive(args.count, args.output)
    if args.variant == "raw":
        return raw(args.count, args.output, json.loads(args.connect))
    if args.variant == "admin":
        return admin(args.count)

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("access_codes: needs DATABASE_URL pointing at PostgreSQL (make bench starts one)", file=sys.stderr)
        return 2
    with ScratchDatabase(url) as scratch, tempfile.TemporaryDirectory(prefix="bench-codes-") as folder:
        if args.linear:
            return linear(scratch, Path(folder), args.count)
        return compare(scratch, Path(folder), args.count, args.runs, skip=args.skip)


def compare(scratch: "ScratchDatabase", folder: Path, count: int, runs: int, skip=()) -> int:
    env = {
        **os.environ,
        "DATABASE_URL": scratch.url,
        "DEBUG": "1",
        "OTP_REQUIRED": "0",  # the admin variant times the run, not the superuser's second factor
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
    }
    python = sys.executable
    this = str(Path(__file__).resolve())
    connect = ["--connect", json.dumps(scratch.params)]
    commands = {
        "ours": lambda n, out: [python, "manage.py", "generate_access_codes", str(n), "--output", out, "-v", "0"],
        "naive": lambda n, out: [python, this, "--variant", "naive", "--count", str(n), "--output", out],
        "raw": lambda n, out: [python, this, "--variant", "raw", "--count", str(n), "--output", out, *connect],
    }
    for name in skip:
        del commands[name]
    print(f"access codes: {count:,} codes, {runs} runs of each, {scratch.version}", flush=True)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for run in range(1, runs + 1):
        for name, command in commands.items():
            scratch.reset()
            out = folder / f"{name}.csv"
            out.unlink(missing_ok=True)
            seconds, rss_mb = measure(command(count, str(out)), env)
            scratch.check(count, out)
            results[name].append((seconds, rss_mb))
            print(f"  run {run} {name:5}  {seconds:6.2f} s  {rss_mb:6.1f} MB peak RSS", flush=True)
    # Peak RSS of a tenth of the work: memory must not grow with N.
    scratch.reset()
    small = folder / "small.csv"
    _, small_rss = measure(commands["ours"](count // 10, str(small)), env)
    scratch.check(count // 10, small)

    admin_runs = admin_as_runs(scratch, folder, count, runs, env)

    median = {
        name: (statistics.median(s for s, _ in runs_), statistics.median(mb for _, mb in runs_))
        for name, runs_ in results.items()
    }
    print(f"{'variant':8} {'median wall':>12} {'median peak RSS':>16}")
    for name, (seconds, rss_mb) in median.items():
        print(f"{name:8} {seconds:10.2f} s {rss_mb:13.1f} MB")
    ours_s, ours_mb = median["ours"]
    admin_request = statistics.median(request for request, _ in admin_runs)
    admin_vs_command = statistics.median(done for _, done in admin_runs) / ours_s
    checks = [
        (f"ours {count:,} codes <= {TARGET_SECONDS:g} s", f"{ours_s:.2f} s", ours_s <= TARGET_SECONDS),
        (f"ours peak RSS <= {TARGET_RSS_MB:g} MB", f"{ours_mb:.1f} MB", ours_mb <= TARGET_RSS_MB),
        (
            f"ours memory flat in N (peak RSS {count // 10:,} -> {count:,} grows <= {TARGET_RSS_GROWTH_MB:g} MB)",
            f"{small_rss:.1f} -> {ours_mb:.1f} MB",
            ours_mb - small_rss <= TARGET_RSS_GROWTH_MB,
        ),
        (
            f"admin {count:,} codes: the request answers < {TARGET_ADMIN_REQUEST:g} s",
            f"{admin_request:.2f} s",
            admin_request < TARGET_ADMIN_REQUEST,
        ),
        (
            f"admin {count:,} codes: the run is done within {TARGET_ADMIN_VS_COMMAND:g}x the command's time",
            f"{admin_vs_command:.2f}x",
            admin_vs_command <= TARGET_ADMIN_VS_COMMAND,
        ),
    ]
    if "naive" in median:
        vs_naive = median["naive"][0] / ours_s
        checks.append(
            (f"ours >= {TARGET_VS_NAIVE:g}x faster than naive", f"{vs_naive:.1f}x", vs_naive >= TARGET_VS_NAIVE)
        )
    if "raw" in median:
        vs_raw = ours_s / median["raw"][0]
        checks.append((f"ours within {TARGET_VS_RAW:g}x of raw", f"{vs_raw:.2f}x", vs_raw <= TARGET_VS_RAW))
    for label, figure, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}: {figure}")
    return 0 if all(ok for *_, ok in checks) else 1


def linear(scratch: "ScratchDatabase", folder: Path, count: int) -> int:
    """``generate_access_codes`` for COUNT and for 10 x COUNT codes, one after the other on an
    emptied database: the second must take at most TARGET_LINEAR x ten times the first, and
    its peak RSS grow by at most TARGET_RSS_GROWTH_MB."""
    env = {**os.environ, "DATABASE_URL": scratch.url, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "backoffice.settings"}
    print(f"access codes, linear in N: {count:,} then {10 * count:,} codes, {scratch.version}", flush=True)
    runs = []
    for n in (count, 10 * count):
        scratch.reset()
        out = folder / f"linear-{n}.csv"
        command = [sys.executable, "manage.py", "generate_access_codes", str(n), "--output", str(out), "-v", "0"]
        seconds, rss_mb = measure(command, env)
        scratch.check(n, out)
        out.unlink()
        runs.append((seconds, rss_mb))
        print(f"  {n:>12,} codes  {seconds:8.1f} s  {rss_mb:6.1f} MB peak RSS", flush=True)
    (small_s, small_mb), (large_s, large_mb) = runs
    ratio = large_s / (10 * small_s)
    checks = [
        (f"{10 * count:,} codes within {TARGET_LINEAR:g}x of 10 x {count:,}", f"{ratio:.2f}x", ratio <= TARGET_LINEAR),
        (
            f"memory flat ({count:,} -> {10 * count:,} grows <= {TARGET_RSS_GROWTH_MB:g} MB)",
            f"{small_mb:.1f} -> {large_mb:.1f} MB",
            large_mb - small_mb <= TARGET_RSS_GROWTH_MB,
        ),
    ]
    for label, figure, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}: {figure}")
    return 0 if all(ok for *_, ok in checks) else 1


def measure(command: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one subprocess."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(command[:4])} ... failed with exit code {child.returncode}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports kilobytes


class ScratchDatabase:
    """A database of its own, migrated once, emptied before every run, dropped at the end."""

    def __init__(self, url: str) -> None:
        import dj_database_url

        self.admin_url = url
        config = dj_database_url.parse(url)
        self.name = f"{config['NAME']}_bench_access_codes"
        self.url = urlsplit(url)._replace(path=f"/{self.name}").geturl()
        settings = (("user", "USER"), ("password", "PASSWORD"), ("host", "HOST"), ("port", "PORT"))
        self.params = {"dbname": self.name, **{key: config[name] for key, name in settings if config.get(name)}}
        self.maintenance = {**self.params, "dbname": config["NAME"]}
        self.version = ""

    def __enter__(self) -> "ScratchDatabase":
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')
        env = {**os.environ, "DATABASE_URL": self.url, "DEBUG": "1"}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        with self._connect() as conn, conn.cursor() as cursor:
            cursor.execute("SHOW server_version")
            self.version = f"PostgreSQL {cursor.fetchone()[0]}"
        return self

    def __exit__(self, *exc) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def reset(self) -> None:
        conn = self._connect()
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("TRUNCATE campaign_accesscode, campaign_accesscodebatch RESTART IDENTITY CASCADE")
            # Start every run from clean buffers, so a run does not pay for the last one's writes.
            cursor.execute("CHECKPOINT")
        conn.close()

    def check(self, count: int, csv_path: Path) -> None:
        with self._connect() as conn, conn.cursor() as cursor:
            cursor.execute("SELECT count(*), count(DISTINCT value) FROM campaign_accesscode")
            rows, distinct = cursor.fetchone()
        with csv_path.open(newline="") as file:
            lines = sum(1 for _ in file) - 1
        if not rows == distinct == lines == count:
            raise SystemExit(f"wrong result: {rows:,} rows ({distinct:,} distinct), {lines:,} CSV rows, not {count:,}")

    def _connect(self):
        import psycopg2

        return psycopg2.connect(**self.params)

    def _admin(self, *statements: str) -> None:
        import psycopg2

        conn = psycopg2.connect(**self.maintenance)
        conn.autocommit = True
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        conn.close()


def naive(count: int, output: str) -> int:
    """The obvious way: per-character secrets.choice, bulk_create, redo the batch on a clash."""
    import secrets

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from backoffice.campaign.models import AccessCode, AccessCodeBatch

    batch = AccessCodeBatch.objects.create(requested_count=count)
    with open(output, "w", newline="") as file:
        writer = csv.writer(file)
        file.write(HEADER)
        made = 0
        while made < count:
            size = min(BATCH, count - made)
            while True:
                values: set[str] = set()
                while len(values) < size:
                    values.add("-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(4)))
                created_at = timezone.now()
                try:
                    with transaction.atomic():
                        AccessCode.objects.bulk_create(
                            AccessCode(value=value, batch=batch, created_at=created_at) for value in values
                        )
                    break
                except IntegrityError:
                    continue
            writer.writerows((value, 1, "", batch.pk, f"{created_at:%Y-%m-%d %H:%M:%S}") for value in values)
            made += size
    return 0


def admin_as_runs(scratch: "ScratchDatabase", folder: Path, count: int, runs: int, env: dict) -> list:
    """Time the admin's "Generate access codes" as a run on a real worker: (request s, done s) per run."""
    sys.path.insert(0, str(ROOT))
    from backoffice.campaign.tests.servers import Worker, redis_server

    def timed(broker: str) -> list:
        private = folder / "private"
        run_env = {**env, "CELERY_BROKER_URL": broker, "PRIVATE_ROOT": str(private), "ALLOWED_HOSTS": "testserver"}
        worker = Worker(broker_url=broker, database_url=scratch.url, smtp_port=1, PRIVATE_ROOT=str(private))
        worker.start()
        results = []
        try:
            for run in range(1, runs + 1):
                scratch.reset()
                command = [sys.executable, str(Path(__file__).resolve()), "--variant", "admin", "--count", str(count)]
                child = subprocess.run(command, cwd=ROOT, env=run_env, capture_output=True)
                if child.returncode:
                    raise SystemExit(f"admin variant failed:\n{child.stderr.decode()}\n{worker.output()[-2000:]}")
                request, done, file_name = json.loads(child.stdout)
                scratch.check(count, private / file_name)
                results.append((request, done))
                print(f"  run {run} admin  request {request:.2f} s, run done after {done:.2f} s", flush=True)
        finally:
            worker.close()
        return results

    broker = os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")
    if broker:
        return timed(broker)
    with redis_server() as redis:
        return timed(redis.url)


def admin(count: int) -> int:
    """POST the admin's "Generate access codes" form and wait for the run; print the request's
    seconds, the seconds until the run completed, and the run's file name in private storage."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from backoffice.campaign.models import AccessCodeBatch

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    started = time.perf_counter()
    response = client.post(reverse("admin:campaign_accesscode_generate"), {"count": count, "max_usages": 1})
    request = time.perf_counter() - started
    if response.status_code != 302:
        raise SystemExit(f"the form answered {response.status_code}, not a redirect to the run's page")
    batch = AccessCodeBatch.objects.get()
    while batch.status in (AccessCodeBatch.Status.QUEUED, AccessCodeBatch.Status.RUNNING):
        time.sleep(0.05)
        batch.refresh_from_db()
    done = time.perf_counter() - started
    if batch.status != AccessCodeBatch.Status.COMPLETED:
        raise SystemExit(f"the run ended {batch.status}: {batch.error}")
    print(json.dumps([request, done, batch.result_file.name]))
    return 0


def raw(count: int, output: str, params: dict) -> int:
    """The least work: bytes.translate for the symbols, COPY for the rows, nothing else."""
    import datetime as dt
    import secrets

    import psycopg2

    accept = 256 - 256 % len(ALPHABET)
    table = bytes(ord(ALPHABET[b % len(ALPHABET)]) if b < accept else 0 for b in range(256))
    rejected = bytes(range(accept, 256))
    conn = psycopg2.connect(**params)
    cursor = conn.cursor()
    cursor.execute(
        "INSERT INTO campaign_accesscodebatch (requested_count, created_count, max_usages, source, created_at, "
        "status, error, cancel_requested, result_file) VALUES (%s, 0, 1, 'command', now(), 'running', '', false, '') "
        "RETURNING id",
        [count],
    )
    batch_id = cursor.fetchone()[0]
    conn.commit()
    with open(output, "w", newline="") as file:
        file.write(HEADER)
        made = 0
        while made < count:
            size = min(BATCH, count - made)
            symbols = bytearray()
            while len(symbols) < size * 16:
                symbols += secrets.token_bytes(size * 17).translate(table, rejected)
            text = bytearray(20 * size)
            for j in range(16):
                text[j + j // 4 :: 20] = symbols[j : size * 16 : 16]
            for dash in (4, 9, 14):
                text[dash::20] = b"-" * size
            text[19::20] = b"\n" * size
            values = text[:-1].decode().split("\n")
            now = dt.datetime.now(dt.UTC)
            row_tail = f"\t1\t{now.isoformat()}\t{batch_id}\n"
            cursor.copy_expert(
                "COPY campaign_accesscode (value, max_usages, created_at, batch_id) FROM STDIN",
                io.StringIO(row_tail.join(values) + row_tail),
            )
            conn.commit()
            csv_tail = f",1,,{batch_id},{now:%Y-%m-%d %H:%M:%S}\r\n"
            file.write(csv_tail.join(values) + csv_tail)
            made += size
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
