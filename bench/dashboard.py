"""The admin dashboard at campaign scale, uncached, on PostgreSQL.

Loads the campaign bench/admin.py uses (5,000 screenings, 100,000 reservations, 1,000,000
access codes, 332,000 tickets) plus one email per reservation, then fetches the admin's front
page as a superuser with the dashboard's cache emptied before every request: once to warm up,
RUNS times timed, then RUNS times with the figures cached. A further request counts its SQL
queries. The end-of-campaign report is timed too, for information (it has no target).

Target (docs/dashboard.md): under 300 ms median uncached, a constant number of queries
(test_dashboard.py checks the second on two data sizes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/films .venv/bin/python bench/dashboard.py
"""

import statistics
import sys
import time

from admin import prepare_campaign
from common import campaign_database, setup_django, verdict

RUNS = 7
TARGET_MS = 300


def main() -> int:
    with campaign_database("bench_dashboard") as database_url:
        setup_django(database_url, ALLOWED_HOSTS="testserver")
        prepare_campaign()
        from django.contrib.auth import get_user_model
        from django.core.cache import cache
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        from backoffice.campaign.services.campaign_report import CACHE_KEY as REPORT_KEY
        from backoffice.campaign.services.dashboard import CACHE_KEY

        client = Client()
        client.force_login(get_user_model().objects.get(username="bench"))
        index = reverse("admin:index")

        def get(*, cached: bool) -> float:
            if not cached:
                cache.delete(CACHE_KEY)
            started = time.perf_counter()
            response = client.get(index)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.status_code
            assert "Seats booked" in response.content.decode()
            return elapsed

        get(cached=False)  # warm: templates, imports, connection
        uncached = statistics.median(get(cached=False) for _ in range(RUNS))
        cached = statistics.median(get(cached=True) for _ in range(RUNS))
        cache.delete(CACHE_KEY)
        # Recorded by an execute wrapper: the request clears connection.queries when it starts.
        captured: list[tuple[float, str]] = []

        def record(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                captured.append(((time.perf_counter() - started) * 1000, sql))

        with connection.execute_wrapper(record):
            get(cached=True)
        passed = uncached < TARGET_MS
        print(f"median of {RUNS} runs (Django test client, DEBUG=1), target < {TARGET_MS} ms uncached:")
        label = "admin index with dashboard, uncached"
        print(f"  {label:<40} {uncached:8.1f} ms {len(captured):4d} queries  {verdict(passed)}")
        print(f"  {'admin index with dashboard, cached':<40} {cached:8.1f} ms")
        report = reverse("admin:campaign_report")
        report_ms = []
        for _ in range(3):
            cache.delete(REPORT_KEY)
            started = time.perf_counter()
            assert client.get(report).status_code == 200
            report_ms.append((time.perf_counter() - started) * 1000)
        print(f"  {'end-of-campaign report, uncached':<40} {statistics.median(report_ms):8.1f} ms (no target)")
        print("  slowest queries of the uncached page:")
        for elapsed, sql in sorted(captured, reverse=True)[:5]:
            print(f"    {elapsed:6.1f} ms  {sql[:90]}")
    print(f"dashboard: {verdict(passed)}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
