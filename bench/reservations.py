"""Reservation throughput on one screening under 16 concurrent writers, and proof of no oversell.

Each writer has its own database connection, so PostgreSQL sees 16 sessions competing for the
screening's row lock. A barrier releases them together; each books one seat at a time through
Reservation.objects.create until its access codes run out. The screening offers fewer seats
than are asked for, so the last bookings race for the last seats and must be refused, never
oversold; afterwards every reservation must hold exactly one ticket.

Writers are threads by default, like the concurrency tests. ``--processes`` makes them forked
processes instead (as separate app servers would be); on a small machine that mostly measures
16 interpreters taking turns on its cores, so it reports lower figures for the same database work.

    DATABASE_URL=postgres://... python bench/reservations.py [--processes]
"""

import argparse
import contextlib
import datetime as dt
import multiprocessing
import queue
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import scratch_database, setup_django

WRITERS = 16
ATTEMPTS_PER_WRITER = 100
CAPACITY = WRITERS * ATTEMPTS_PER_WRITER - 100  # the last 100 attempts find the screening full
RUNS = 5
TARGET_PER_SECOND = 100  # the bar: more than staff booking by phone could ever need


def writer(code_ids: list[int], screening_id: int, barrier, results) -> None:
    from django.core.exceptions import ValidationError
    from django.db import connection

    from backoffice.campaign.models import Reservation

    try:
        connection.ensure_connection()
        booked = refused = 0
        barrier.wait(timeout=60)
        for code_id in code_ids:
            try:
                Reservation.objects.create(
                    screening_id=screening_id,
                    access_code_id=code_id,
                    quantity=1,
                    name="Bench Customer",
                    email=f"bench.{code_id}@example.com",  # one active booking per person
                )
                booked += 1
            except ValidationError:
                refused += 1
        results.put((booked, refused, time.perf_counter()))
    except BaseException as error:
        barrier.abort()  # release everyone else rather than leave the run hanging
        results.put(f"{type(error).__name__}: {error}")
    finally:
        connection.close()


def one_run(run: int, *, processes: bool) -> tuple[float, dict]:
    from django.db import connections

    from backoffice.campaign.models import AccessCode, Cinema, Film, Screening, Ticket

    film = Film.objects.create(name=f"Bench Film {run}")
    cinema = Cinema.objects.create(name=f"Bench Cinema {run}")
    screening = Screening.objects.create(
        film=film, cinema=cinema, starts_at=dt.datetime(2030, 12, 24, 18, 0, tzinfo=dt.UTC), capacity=CAPACITY
    )
    Ticket.objects.bulk_create(Ticket(code=f"B{run}-{n:06d}", film=film) for n in range(CAPACITY))
    codes = AccessCode.objects.bulk_create(
        AccessCode(value=f"{run:04d}-{n // 10000:04d}-{n % 10000:04d}-BBBB")
        for n in range(WRITERS * ATTEMPTS_PER_WRITER)
    )
    code_ids = [code.pk for code in codes]
    connections.close_all()  # a forked writer must never share the parent's connection

    if processes:
        context = multiprocessing.get_context("fork")
        barrier, results, start = context.Barrier(WRITERS + 1), context.Queue(), context.Process
    else:
        barrier, results, start = threading.Barrier(WRITERS + 1), queue.Queue(), threading.Thread
    writers = [
        start(
            target=writer,
            args=(code_ids[i * ATTEMPTS_PER_WRITER : (i + 1) * ATTEMPTS_PER_WRITER], screening.pk, barrier, results),
        )
        for i in range(WRITERS)
    ]
    for each in writers:
        each.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a writer failed to start; its message follows
        barrier.wait(timeout=60)
    started = time.perf_counter()
    outcomes = [results.get(timeout=300) for _ in writers]
    failures = [outcome for outcome in outcomes if isinstance(outcome, str)]
    if failures:
        sys.exit(f"a writer failed: {failures[0]}")
    elapsed = max(finished for _, _, finished in outcomes) - started
    for each in writers:
        each.join()
    booked = sum(b for b, _, _ in outcomes)
    return booked / elapsed, check(screening, booked, sum(r for _, r, _ in outcomes))


def check(screening, booked: int, refused: int) -> dict:
    from django.db.models import Count, F, Sum

    from backoffice.campaign.models import Reservation, Ticket

    reservations = Reservation.objects.filter(screening=screening)
    seats = reservations.aggregate(seats=Sum("quantity"))["seats"] or 0
    return {
        "booked": booked,
        "refused": refused,
        "seats": seats,
        "oversold": max(seats - screening.capacity, 0),
        "sold_out_exactly": seats == screening.capacity and booked == reservations.count(),
        "tickets_linked": Ticket.objects.filter(reservation__screening=screening).count(),
        "wrong_tickets": reservations.annotate(held=Count("tickets")).exclude(held=F("quantity")).count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", action="store_true", help="forked writer processes instead of threads")
    args = parser.parse_args()
    kind = "processes" if args.processes else "threads"
    with scratch_database("bench_reservations") as url:
        setup_django(url)
        from django.conf import settings

        settings.DEBUG = False  # as in production: no per-query logging in the measured code
        rates, problems = [], []
        print(
            f"{WRITERS} writer {kind}, {WRITERS * ATTEMPTS_PER_WRITER} one-seat bookings for {CAPACITY} seats, "
            f"{RUNS} runs",
            flush=True,
        )
        for run in range(1, RUNS + 1):
            rate, facts = one_run(run, processes=args.processes)
            rates.append(rate)
            print(
                f"  run {run}: {rate:7.0f} reservations/s  booked {facts['booked']}, refused {facts['refused']}, "
                f"seats {facts['seats']}/{CAPACITY}, oversold {facts['oversold']}, tickets {facts['tickets_linked']}",
                flush=True,
            )
            if facts["oversold"] or not facts["sold_out_exactly"] or facts["wrong_tickets"]:
                problems.append(f"run {run}: {facts}")
            if facts["tickets_linked"] != facts["seats"]:
                problems.append(f"run {run}: {facts['tickets_linked']} tickets for {facts['seats']} seats")
    rate = statistics.median(rates)
    fast_enough = rate >= TARGET_PER_SECOND
    print(
        f"reservations/s (median of {RUNS}): {rate:.0f}  target >= {TARGET_PER_SECOND}: "
        f"{'PASS' if fast_enough else 'FAIL'}"
    )
    print(f"oversold: {'0 in every run: PASS' if not problems else 'FAIL'}")
    for problem in problems:
        print(f"  {problem}")
    return 0 if fast_enough and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
