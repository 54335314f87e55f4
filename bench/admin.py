"""The admin at campaign scale: every page staff use, timed on PostgreSQL.

Loads a campaign near its end: 4 films, 100 cinemas, 5,000 screenings, 1,000,000 access codes
(made by ``access_codes_generate``, the command's own machinery), 100,000 reservations and
332,000 tickets (``bulk_create``), then VACUUM ANALYZE. Each page is fetched through the Django
test client as a superuser (DEBUG=1): once to warm up, then timed RUNS times; a further request
counts its SQL queries.

Target (docs/admin.md): every page under 300 ms median, queries constant in rows (the tests
in test_admin_query_counts.py check the second on 10 and 1,000 rows).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/films .venv/bin/python bench/admin.py
"""

import datetime as dt
import os
import statistics
import sys
import time

from common import bench_scale, campaign_database, copy_rows, reuse_requested, setup_django, verdict

# BENCH_SCALE=10: ten times every count (docs/admin.md, "Ten times the campaign").
SCALE = bench_scale()
FILMS, CINEMAS, SCREENINGS = 4 * SCALE, 100 * SCALE, 5_000 * SCALE
SINGLE_USE_CODES, FOUR_USE_CODES = 900_000 * SCALE, 100_000 * SCALE
RESERVATIONS, TICKETS = 100_000 * SCALE, 332_000 * SCALE
RUNS = 5
TARGET_MS = 300
CHUNK = 10_000
# References are unique; made from the row number by a bijection of 0..31**8 - 1, so they look
# random but never collide (a random draw of a million would, about once).
_REFERENCE_SPACE, _REFERENCE_STEP = 31**8, 738_916_193


def campaign_loaded() -> bool:
    """The kept database holds a whole campaign at this scale (the superuser is made last)."""
    from django.contrib.auth import get_user_model

    from backoffice.campaign.models import Screening

    return get_user_model().objects.filter(username="bench").exists() and Screening.objects.count() == SCREENINGS


def prepare_campaign() -> None:
    """Load the campaign, or with BENCH_REUSE=1 keep the one a previous run loaded."""
    if reuse_requested() and campaign_loaded():
        print(f"  reusing the campaign already loaded at {SCALE}x", flush=True)
        return
    if reuse_requested():
        _empty_campaign()
    load_campaign()


def _empty_campaign() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE campaign_email, campaign_ticket, campaign_reservation, campaign_accesscode, "
            "campaign_accesscodebatch, campaign_screening, campaign_cinema, campaign_film, auth_user "
            "RESTART IDENTITY CASCADE"
        )


def _reference(number: int) -> str:
    from backoffice.campaign.codes import ALPHABET, REFERENCE_LENGTH

    value = number * _REFERENCE_STEP % _REFERENCE_SPACE
    symbols = []
    for _ in range(REFERENCE_LENGTH):
        value, symbol = divmod(value, len(ALPHABET))
        symbols.append(ALPHABET[symbol])
    return "".join(symbols)


def load_campaign() -> None:
    """Films, cinemas and screenings through the ORM, codes through ``access_codes_generate``, and
    reservations, tickets and emails streamed with COPY a chunk at a time: memory stays flat at
    any BENCH_SCALE. Then VACUUM ANALYZE."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from backoffice.campaign.codes import screening_codes
    from backoffice.campaign.models import AccessCode, AccessCodeBatch, Cinema, Film, Screening
    from backoffice.campaign.services.access_codes import access_codes_generate

    started = time.perf_counter()
    films = Film.objects.bulk_create(
        Film(name=f"Winter Tale {i}", slug=f"winter-tale-{i}", release_date="2003", live=True) for i in range(FILMS)
    )
    cinemas = Cinema.objects.bulk_create(
        Cinema(name=f"Town {i:03d} - High Street", slug=f"town-{i:03d}-high-street", address=f"{i} High Street")
        for i in range(CINEMAS)
    )
    first = (timezone.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    screening_ids, screening_films = [], []
    codes = iter(screening_codes(SCREENINGS))  # distinct: bulk_create skips the draw save() makes
    for at in range(0, SCREENINGS, CHUNK):
        chunk = []
        for i in range(at, min(at + CHUNK, SCREENINGS)):
            screening = Screening(
                film=films[i % FILMS], cinema=cinemas[i % CINEMAS], starts_at=first + dt.timedelta(minutes=7 * i)
            )
            screening.slug = screening.build_slug()
            screening.capacity = 60
            screening.code = next(codes)
            chunk.append(screening)
        Screening.objects.bulk_create(chunk)
        screening_ids += [s.pk for s in chunk]
        screening_films += [s.film_id for s in chunk]
    print(f"  catalogue: {FILMS} films, {CINEMAS:,} cinemas, {SCREENINGS:,} screenings", flush=True)

    codes_started = time.perf_counter()
    for count, usages in ((SINGLE_USE_CODES, 1), (FOUR_USE_CODES, 4)):
        access_codes_generate(count=count, max_usages=usages, source=AccessCodeBatch.Source.COMMAND)
    print(f"  {AccessCode.objects.count():,} access codes in {time.perf_counter() - codes_started:.1f} s", flush=True)

    # One code per reservation (the oldest codes); every 20th cancelled (quantity 0, no tickets),
    # the others 1 to 4 seats, booked over the six weeks before now (40 s apart at 1x).
    booked_from = timezone.now() - dt.timedelta(seconds=40 * 100_000)
    spacing = dt.timedelta(seconds=40 / SCALE)

    def quantity(i: int) -> int:
        return 0 if i % 20 == 0 else 1 + i % 4

    def code_ids():
        last = 0
        while True:
            chunk = list(AccessCode.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
            if not chunk:
                return
            yield from chunk
            last = chunk[-1]

    def reservations():
        for i, code_id in zip(range(RESERVATIONS), code_ids(), strict=False):
            yield (
                i + 1,
                (booked_from + i * spacing).isoformat(),
                _reference(i + 1),
                f"Customer {i} Surname{i % 9_973}",
                f"customer{i}@example.org",
                code_id,
                screening_ids[i % SCREENINGS],
                quantity(i),
            )

    def tickets():
        # The held ones for each reservation's film, the rest free, spread over the films.
        number = 0
        for i in range(RESERVATIONS):
            for _ in range(quantity(i)):
                number += 1
                yield f"XF{number:08d}", screening_films[i % SCREENINGS], i + 1
        while number < TICKETS:
            number += 1
            yield f"XF{number:08d}", films[number % FILMS].pk, None

    def emails():
        statuses = ["sent"] * 18 + ["queued", "failed"]
        now = timezone.now().isoformat()
        for i in range(RESERVATIONS):
            status = statuses[i % 20]
            yield (
                now, "confirmation", i + 1, f"customer{i}@example.org", "{}", f"<bench-{i}@example.org>",
                status, 0, now, "", now if status == "sent" else None,
            )  # fmt: skip

    with connection.cursor() as cursor:
        columns = ["id", "created_at", "reference", "name", "email", "access_code_id", "screening_id", "quantity"]
        copy_rows(cursor, "campaign_reservation", columns, reservations())
        cursor.execute("SELECT setval(pg_get_serial_sequence('campaign_reservation', 'id'), %s)", [RESERVATIONS])
        copy_rows(cursor, "campaign_ticket", ["code", "film_id", "reservation_id"], tickets())
        columns = ["created_at", "kind", "reservation_id", "to", "payload", "message_id"]
        columns += ["status", "attempts", "next_attempt_at", "last_error", "sent_at"]
        copy_rows(cursor, "campaign_email", [f'"{c}"' for c in columns], emails())
    held = sum(quantity(i) for i in range(RESERVATIONS))
    print(f"  {RESERVATIONS:,} reservations, {TICKETS:,} tickets ({held:,} held), {RESERVATIONS:,} emails", flush=True)

    with connection.cursor() as cursor:
        # The COPY of a million bookings moved each screening's seats reserved (a trigger per
        # row, migration 0025) in one transaction, leaving twenty versions of each screening row
        # where a campaign's bookings, made one at a time, leave autovacuum room to keep the
        # table its size: rewritten to that size, as it is in a campaign. The counts' tables too.
        cursor.execute(
            "VACUUM FULL campaign_screening, campaign_ticketcount, campaign_bookingcount, campaign_bookinghour"
        )
        cursor.execute("VACUUM ANALYZE")
    get_user_model().objects.create_superuser("bench", "bench@example.org", "bench")
    print(f"loaded in {time.perf_counter() - started:.0f} s, VACUUM ANALYZE done", flush=True)


def pages() -> list[tuple[str, str, dict]]:
    """(label, url, query) for every page staff use, with real values from the loaded campaign."""
    from django.urls import reverse

    from backoffice.campaign.models import AccessCode, AccessCodeBatch, Cinema, Film, Reservation, Screening, Ticket

    reservation = Reservation.objects.filter(quantity__gt=0).order_by("pk")[RESERVATIONS // 2]
    ticket = Ticket.objects.filter(reservation=reservation).first()
    code = AccessCode.objects.order_by("pk").last()
    film, cinema = Film.objects.first(), Cinema.objects.first()
    screening = Screening.objects.order_by("pk")[SCREENINGS // 2]
    batch = AccessCodeBatch.objects.order_by("-created_count").first()

    def url(name: str, *args) -> str:
        return reverse(f"admin:campaign_{name}", args=args)

    autocomplete = reverse("admin:autocomplete")
    picker = {"app_label": "campaign", "model_name": "reservation"}
    return [
        ("admin index", reverse("admin:index"), {}),
        ("reservations", url("reservation_changelist"), {}),
        # Counted to 10,000 rows (CappedCountPaginator): page 100 is the last, at any scale.
        ("reservations page 50", url("reservation_changelist"), {"p": 50}),
        ("reservations page 100 (the last)", url("reservation_changelist"), {"p": 100}),
        ("reservations by film", url("reservation_changelist"), {"screening__film__id__exact": film.pk}),
        ("reservations by cinema", url("reservation_changelist"), {"screening__cinema__id__exact": cinema.pk}),
        ("reservations by quantity", url("reservation_changelist"), {"quantity": 0}),
        ("reservations this month", url("reservation_changelist"), _this_month(reservation.created_at)),
        ("reservation search: surname", url("reservation_changelist"), {"q": reservation.name.split()[-1]}),
        ("reservation search: reference", url("reservation_changelist"), {"q": reservation.reference}),
        ("reservation search: code", url("reservation_changelist"), {"q": reservation.access_code.value.lower()}),
        ("reservation search: email", url("reservation_changelist"), {"q": reservation.email}),
        ("reservation search: no match", url("reservation_changelist"), {"q": "Nobody-Here"}),
        ("reservation change form", url("reservation_change", reservation.pk), {}),
        ("reservation add form", url("reservation_add"), {}),
        ("screening picker", autocomplete, {**picker, "field_name": "screening"}),
        ("screening picker: term", autocomplete, {**picker, "field_name": "screening", "term": "town 00"}),
        ("access code picker", autocomplete, {**picker, "field_name": "access_code"}),
        ("access code picker: term", autocomplete, {**picker, "field_name": "access_code", "term": code.value[:6]}),
        ("access codes", url("accesscode_changelist"), {}),
        ("access codes page 100 (the last)", url("accesscode_changelist"), {"p": 100}),
        ("access codes by usages", url("accesscode_changelist"), {"max_usages": 4}),
        ("access codes by film", url("accesscode_changelist"), {"valid_for__id__exact": film.pk}),
        ("access code search", url("accesscode_changelist"), {"q": code.value[:9]}),
        ("access code change form", url("accesscode_change", code.pk), {}),
        ("access codes withdrawn", url("accesscode_changelist"), {"withdrawn": "yes"}),
        ("withdraw codes form", url("accesscode_block"), {}),
        ("access code batches", url("accesscodebatch_changelist"), {}),
        ("access code batch page", url("accesscodebatch_change", batch.pk), {}),
        ("access code batch delete page", url("accesscodebatch_delete", batch.pk), {}),
        ("reservations with withdrawn codes", url("reservation_changelist"), {"withdrawn_code": "any"}),
        ("tickets", url("ticket_changelist"), {}),
        ("tickets with counts", url("ticket_changelist"), {"_facets": "True"}),
        ("tickets page 100 (the last)", url("ticket_changelist"), {"p": 100}),
        ("tickets free, by film", url("ticket_changelist"), {"film__id__exact": film.pk, "state": "free"}),
        ("ticket search: code", url("ticket_changelist"), {"q": ticket.code}),
        ("ticket search: reference", url("ticket_changelist"), {"q": reservation.reference}),
        ("ticket change form", url("ticket_change", ticket.pk), {}),
        ("screenings", url("screening_changelist"), {}),
        ("screenings with counts", url("screening_changelist"), {"_facets": "True"}),
        ("screenings sold out", url("screening_changelist"), {"sold_out": "yes"}),
        ("screening search", url("screening_changelist"), {"q": cinema.name[:8]}),
        ("screening change form", url("screening_change", screening.pk), {}),
        ("screening delete page", url("screening_delete", screening.pk), {}),
        ("films", url("film_changelist"), {}),
        ("film delete page", url("film_delete", film.pk), {}),
        ("cinemas", url("cinema_changelist"), {}),
        ("cinema delete page", url("cinema_delete", cinema.pk), {}),
    ]


def _this_month(moment: dt.datetime) -> dict:
    from django.utils import timezone

    local = timezone.localtime(moment)
    return {"created_at__year": local.year, "created_at__month": local.month}


def measure(client, url: str, query: dict, before=None, accept: str = "text/html") -> tuple[float, int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        if before is not None:
            before()
        response = client.get(url, query, HTTP_ACCEPT=accept)
        assert response.status_code == 200, f"{url} {query}: {response.status_code}"
        return response

    get()  # warm: templates, imports, connection
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        get()
        timings.append((time.perf_counter() - started) * 1000)
    # Counted on one more request, each query timed: on a busy machine the SQL's share says
    # what the database costs apart from rendering the page.
    sql_ms: list[float] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_ms.append((time.perf_counter() - started) * 1000)

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
        get()
    return statistics.median(timings), len(captured), sum(sql_ms)


def uncached_pages() -> list[tuple[str, str, dict, object, str]]:
    """The dashboard, the end-of-campaign report and the API with their caches emptied before each
    request: (label, url, query, what to run first, Accept)."""
    from django.core.cache import cache
    from django.urls import reverse

    from backoffice.campaign.services.campaign_report import CACHE_KEY as REPORT_KEY
    from backoffice.campaign.services.dashboard import CACHE_KEY as DASHBOARD_KEY

    return [
        ("dashboard, uncached", reverse("admin:index"), {}, lambda: cache.delete(DASHBOARD_KEY), "text/html"),
        ("report, uncached", reverse("admin:campaign_report"), {}, lambda: cache.delete(REPORT_KEY), "text/html"),
        ("API screenings 1,000, uncached", "/api/screenings/", {"page_size": 1000}, cache.clear, "application/json"),
        ("API films, uncached", "/api/films/", {}, cache.clear, "application/json"),
    ]  # fmt: skip


def main() -> int:
    with campaign_database("bench_admin") as database_url:
        setup_django(database_url, ALLOWED_HOSTS="testserver")
        prepare_campaign()
        from django.contrib.auth import get_user_model
        from django.test import Client

        client = Client()
        client.force_login(get_user_model().objects.get(username="bench"))
        ok = True
        print(
            f"{SCALE}x campaign: {FILMS} films, {CINEMAS:,} cinemas, {SCREENINGS:,} screenings, "
            f"{SINGLE_USE_CODES + FOUR_USE_CODES:,} codes, {RESERVATIONS:,} reservations, {TICKETS:,} tickets"
        )
        print(f"median of {RUNS} runs (Django test client, DEBUG=1), target < {TARGET_MS} ms:")
        print(f"  {'page':<36} {'median ms':>9} {'queries':>7} {'SQL ms':>7}")
        rows = [(label, url, query, None, "text/html") for label, url, query in pages()] + uncached_pages()
        only = os.environ.get("BENCH_PAGES", "").lower()
        for label, url, query, before, accept in rows:
            if only and not any(word.strip() and word.strip() in label for word in only.split(",")):
                continue
            median, queries, sql_ms = measure(client, url, query, before, accept)
            passed = median < TARGET_MS
            ok &= passed
            print(f"  {label:<36} {median:9.1f} {queries:7d} {sql_ms:7.1f}  {verdict(passed)}", flush=True)
    print(f"admin: {verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
