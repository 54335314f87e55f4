"""The public API on a full campaign: 5,000 screenings, 100,000 reservations, PostgreSQL.

1. In process (Django test client, DEBUG=1): p50/p99 of GET /api/screenings/ with the response
   cache cleared before every request (uncached) and warm (cached), and the SQL queries it runs.
2. Under load: the documented gunicorn (deploy/gunicorn.conf.py, DEBUG=0) on a free loopback
   port, hit by a small keep-alive HTTP client in threads for a bounded time, cached responses,
   once as a client that takes no compression and once with ``Accept-Encoding: gzip``.
3. The same load through nginx: deploy/'s site file (HTTPS, a throwaway certificate) in front of
   gunicorn started as deploy/'s web unit starts it (tests/deploy/servers.py), as a host serves.

Targets (docs/api.md): p50 < 150 ms uncached at page_size=1000, a constant number of queries,
>= 1,000 requests/s and p99 < 100 ms under load.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/films .venv/bin/python bench/api.py
"""

import shutil
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import percentile, scratch_database, setup_django, verdict

FILMS, CINEMAS, SCREENINGS, RESERVATIONS = 20, 250, 5_000, 100_000
UNCACHED_RUNS, CACHED_RUNS = 25, 300
LOAD_ROUNDS, LOAD_SECONDS, LOAD_CONNECTIONS, SERVER_WORKERS = 5, 3.0, 8, 2
URL = "/api/screenings/"


def load_campaign() -> None:
    """Bulk-load films, cinemas and screenings through the ORM, codes and reservations in SQL."""
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from backoffice.campaign.codes import screening_codes
    from backoffice.campaign.models import Cinema, Film, Screening

    started = time.perf_counter()
    with transaction.atomic():
        films = Film.objects.bulk_create(
            Film(name=f"Winter Tale {i}", slug=f"winter-tale-{i}", release_date="2003", live=True) for i in range(FILMS)
        )
        cinemas = Cinema.objects.bulk_create(
            Cinema(name=f"Town {i:03d} - High Street", slug=f"town-{i:03d}-high-street", address=f"{i} High Street")
            for i in range(CINEMAS)
        )
        first = (timezone.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        screenings = []
        for i in range(SCREENINGS):
            screening = Screening(
                film=films[i % FILMS],
                cinema=cinemas[i % CINEMAS],
                starts_at=first + dt.timedelta(minutes=7 * i),
                capacity=0,
            )
            screening.slug = screening.build_slug()
            screenings.append(screening)
        for screening, code in zip(screenings, screening_codes(len(screenings)), strict=True):
            screening.code = code  # distinct: bulk_create skips the draw save() makes
        Screening.objects.bulk_create(screenings, batch_size=2_000)
        with connection.cursor() as cursor:
            # Four reservations per code; codes made of digits and consonants only, like real ones.
            cursor.execute(
                """
                INSERT INTO campaign_accesscode (value, max_usages)
                SELECT 'BNCH-' || substr(lpad(g::text, 12, '0'), 1, 4) || '-' || substr(lpad(g::text, 12, '0'), 5, 4)
                       || '-' || substr(lpad(g::text, 12, '0'), 9, 4), 4
                FROM generate_series(1, %s) AS g
                """,
                [RESERVATIONS // 4],
            )
            cursor.execute(
                """
                INSERT INTO campaign_reservation
                    (created_at, reference, name, email, access_code_id, screening_id, quantity)
                SELECT now(), 'B' || lpad(g::text, 9, '0'), 'Bench Customer', 'bench' || g || '@example.org',
                       (SELECT min(id) FROM campaign_accesscode) + (g - 1) / 4,
                       (SELECT min(id) FROM campaign_screening) + mod(g, %s),
                       1 + mod(g, 4)
                FROM generate_series(1, %s) AS g
                """,
                [SCREENINGS, RESERVATIONS],
            )
            # Every third screening exactly full, the others with 20 seats to spare.
            cursor.execute(
                """
                UPDATE campaign_screening AS s
                SET capacity = r.seats + CASE WHEN mod(s.id, 3) = 0 THEN 0 ELSE 20 END
                FROM (SELECT screening_id, sum(quantity) AS seats FROM campaign_reservation GROUP BY 1) AS r
                WHERE r.screening_id = s.id
                """
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"loaded {FILMS} films, {CINEMAS} cinemas, {SCREENINGS:,} screenings, {RESERVATIONS:,} reservations "
        f"in {time.perf_counter() - started:.1f} s"
    )


def timed_gets(client, url: str, runs: int, *, clear_cache: bool) -> list[float]:
    from django.core.cache import cache

    timings = []
    for _ in range(runs):
        if clear_cache:
            cache.clear()
        started = time.perf_counter()
        response = client.get(url, HTTP_ACCEPT="application/json")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:200]
    return timings


def queries_for(client, url: str) -> int:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, HTTP_ACCEPT="application/json").status_code == 200
    return len(captured)


def in_process() -> bool:
    from django.test import Client

    client = Client()
    ok = True
    timed_gets(client, URL, 3, clear_cache=True)  # warm connections and imports
    print(f"in process (Django test client, DEBUG=1), {UNCACHED_RUNS} uncached / {CACHED_RUNS} cached runs:")
    for page_size in (100, 1000):
        url = f"{URL}?page_size={page_size}"
        uncached = timed_gets(client, url, UNCACHED_RUNS, clear_cache=True)
        timed_gets(client, url, 1, clear_cache=True)
        cached = timed_gets(client, url, CACHED_RUNS, clear_cache=False)
        p50 = percentile(uncached, 50)
        line = (
            f"  GET {url:<34} uncached p50 {p50:6.1f} ms  p99 {percentile(uncached, 99):6.1f} ms   "
            f"cached p50 {percentile(cached, 50):5.2f} ms  p99 {percentile(cached, 99):5.2f} ms"
        )
        if page_size == 1000:
            ok &= p50 < 150
            line += f"   [{verdict(p50 < 150)} uncached p50 < 150 ms]"
        print(line)

    page = queries_for(client, f"{URL}?page_size=1000")
    small = queries_for(client, f"{URL}?page_size=1000&cinema=town-007-high-street")
    films = queries_for(client, "/api/films/")
    constant = page == small
    ok &= constant
    print(
        f"  SQL queries: {page} for 1,000 rows, {small} for 20 rows, {films} for /api/films/   "
        f"[{verdict(constant)} constant]"
    )
    return ok


def get_over(sock: socket.socket, request: bytes, buffer: bytearray) -> int:
    """One keep-alive GET on a raw socket; returns the status. Kept minimal so the client, which
    shares the machine with the server, spends as little CPU as possible per request."""
    sock.sendall(request)
    while (end := buffer.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    head = bytes(buffer[:end]).lower()
    status = int(head[9:12])
    length_at = head.find(b"content-length:")
    if length_at < 0:
        raise ConnectionError("response without Content-Length")
    line_end = head.find(b"\r\n", length_at)
    length = int(head[length_at + 15 : line_end if line_end >= 0 else None])
    total = end + 4 + length
    while len(buffer) < total:
        chunk = sock.recv(max(65536, total - len(buffer)))
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    del buffer[:total]
    return status


def connect(port: int, tls: ssl.SSLContext | None) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return tls.wrap_socket(sock) if tls else sock


def load(port: int, request: bytes, tls: ssl.SSLContext | None = None) -> tuple[int, int, list[float], float]:
    """Keep-alive clients, each on its own connection, for LOAD_SECONDS; returns ok, errors, ms, s."""
    latencies: list[list[float]] = [[] for _ in range(LOAD_CONNECTIONS)]
    errors = [0] * LOAD_CONNECTIONS
    barrier = threading.Barrier(LOAD_CONNECTIONS + 1)
    stop_at = [0.0]

    def client(slot: int) -> None:
        sock = connect(port, tls)
        buffer = bytearray()
        barrier.wait()
        while (now := time.perf_counter()) < stop_at[0]:
            try:
                if get_over(sock, request, buffer) == 200:
                    latencies[slot].append((time.perf_counter() - now) * 1000)
                else:
                    errors[slot] += 1
            except OSError:
                errors[slot] += 1
                sock.close()
                sock, buffer = connect(port, tls), bytearray()
        sock.close()

    threads = [threading.Thread(target=client, args=(slot,)) for slot in range(LOAD_CONNECTIONS)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    stop_at[0] = started + LOAD_SECONDS
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    merged = [ms for slot in latencies for ms in slot]
    return len(merged), sum(errors), merged, elapsed


def load_rounds(port: int, tls: ssl.SSLContext | None = None, *, encoding: str = "identity") -> tuple[float, float]:
    """Warm every worker's cache, then LOAD_ROUNDS rounds of load; returns the median req/s and p99."""
    request = (
        f"GET {URL} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n"
        f"Accept-Encoding: {encoding}\r\n\r\n"
    ).encode()
    sock, buffer = connect(port, tls), bytearray()
    for _ in range(50):  # every worker process fills its own cache
        get_over(sock, request, buffer)
    sock.close()
    rates, p99s = [], []
    for round_ in range(1, LOAD_ROUNDS + 1):
        done, errors, latencies, elapsed = load(port, request, tls)
        rates.append(done / elapsed if not errors else 0.0)
        p99s.append(percentile(latencies, 99) if latencies else float("inf"))
        print(
            f"  round {round_}: {done:,} requests in {elapsed:.1f} s, {errors} errors, "
            f"{done / elapsed:,.0f} req/s, p50 {percentile(latencies, 50):.1f} ms, p99 {p99s[-1]:.1f} ms"
        )
    return statistics.median(rates), statistics.median(p99s)


def under_load(database_url: str) -> bool:
    """The cached path under load, as clients that do not take gzip ask for it and as browsers do."""
    from backoffice.campaign.tests.servers import Gunicorn

    ok = True
    # The documented server (deploy/gunicorn.conf.py), one process per core of this machine.
    server = Gunicorn(database_url=database_url, quiet=True, WEB_CONCURRENCY=str(SERVER_WORKERS)).start()
    try:
        for encoding in ("identity", "gzip"):
            print(
                f"under load (gunicorn -c deploy/gunicorn.conf.py, DEBUG=0, {SERVER_WORKERS} workers; "
                f"{LOAD_CONNECTIONS} keep-alive connections; GET {URL}, cached, Accept-Encoding: {encoding}):"
            )
            rate, p99 = load_rounds(server.port, encoding=encoding)
            print(
                f"  median of {LOAD_ROUNDS} rounds: {rate:,.0f} req/s [{verdict(rate >= 1000)} >= 1,000 req/s], "
                f"p99 {p99:.1f} ms [{verdict(p99 < 100)} p99 < 100 ms]"
            )
            ok &= rate >= 1000 and p99 < 100
    finally:
        server.close()
    return ok


def through_nginx(database_url: str) -> None:
    """The load round through deploy/'s nginx site over HTTPS: what a visitor's request costs on a
    host. For information: the bar above is gunicorn's own; here the client also pays for TLS."""
    from backoffice.campaign.tests.servers import free_port
    from tests.deploy.servers import (
        Gunicorn,
        Nginx,
        production_env,
        self_signed_certificate,
        site_config,
    )

    folder = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    env = {"ALLOWED_HOSTS": "127.0.0.1", "TRUSTED_PROXY_COUNT": "1", "DATABASE_URL": database_url}
    env["WEB_CONCURRENCY"] = str(SERVER_WORKERS)
    env["PYTHONWARNINGS"] = "ignore:No directory at:UserWarning"  # no collectstatic: the API needs no files
    gunicorn = Gunicorn(host="127.0.0.1", port=free_port(), env=production_env(**env))
    certificate, key = self_signed_certificate(folder)
    https_port = free_port()
    site = site_config(
        server_name="127.0.0.1",
        certificate=certificate,
        key=key,
        upstreams=[gunicorn.address],
        static_root=folder,
        media_root=folder,
        http_port=free_port(),
        https_port=https_port,
    )
    nginx = Nginx(site)
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE  # the throwaway certificate
    print(
        f"through nginx (deploy/nginx/xmas-films.conf over HTTPS; gunicorn -c deploy/gunicorn.conf.py, "
        f"{SERVER_WORKERS} workers; "
        f"{LOAD_CONNECTIONS} keep-alive connections; GET {URL}, cached):"
    )
    try:
        gunicorn.start()
        nginx.start(https_port)
        rate, p99 = load_rounds(https_port, tls)
    finally:
        nginx.close()
        gunicorn.close()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"  median of {LOAD_ROUNDS} rounds: {rate:,.0f} req/s, p99 {p99:.1f} ms")


def main() -> int:
    with scratch_database("bench_api") as database_url:
        setup_django(database_url, ALLOWED_HOSTS="testserver")
        load_campaign()
        ok = in_process()
        from django.db import connections

        connections.close_all()
        ok &= under_load(database_url)
        through_nginx(database_url)
    print(f"api: {verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
