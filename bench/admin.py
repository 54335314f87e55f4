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
import statistics
import sys
import time

from common import scratch_database, setup_django, verdict

FILMS, CINEMAS, SCREENINGS = 4, 100, 5_000
SINGLE_USE_CODES, FOUR_USE_CODES = 900_000, 100_000
RESERVATIONS, TICKETS = 100_000, 332_000
RUNS = 5
TARGET_MS = 300
CHUNK = 10_000


def load_campaign() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from backoffice.campaign.codes import screening_codes
    from backoffice.campaign.models import AccessCode, AccessCodeBatch, Cinema, Film, Reservation, Screening, Ticket
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
    screenings = []
    for i in range(SCREENINGS):
        screening = Screening(
            film=films[i % FILMS], cinema=cinemas[i % CINEMAS], starts_at=first + dt.timedelta(minutes=7 * i)
        )
        screening.slug = screening.build_slug()
        screening.capacity = 60
        screenings.append(screening)
    for screening, code in zip(screenings, screening_codes(len(screenings)), strict=True):
        screening.code = code  # distinct: bulk_create skips the draw save() makes
    Screening.objects.bulk_create(screenings, batch_size=CHUNK)
    print(f"  catalogue: {FILMS} films, {CINEMAS} cinemas, {SCREENINGS:,} screenings", flush=True)

    codes_started = time.perf_counter()
    for count, usages in ((SINGLE_USE_CODES, 1), (FOUR_USE_CODES, 4)):
        access_codes_generate(count=count, max_usages=usages, source=AccessCodeBatch.Source.COMMAND)
    print(f"  {AccessCode.objects.count():,} access codes in {time.perf_counter() - codes_started:.1f} s", flush=True)

    # One code per reservation; every 20th cancelled (quantity 0, no tickets), the others 1 to 4
    # seats, booked 40 seconds apart over the six weeks before now.
    code_ids = list(AccessCode.objects.order_by("pk").values_list("pk", flat=True)[:RESERVATIONS])
    booked_from = timezone.now() - dt.timedelta(seconds=40 * RESERVATIONS)
    reservations = [
        Reservation(
            name=f"Customer {i} Surname{i % 9_973}",
            email=f"customer{i}@example.org",
            access_code_id=code_ids[i],
            screening=screenings[i % SCREENINGS],
            quantity=0 if i % 20 == 0 else 1 + i % 4,
        )
        for i in range(RESERVATIONS)
    ]
    Reservation.objects.bulk_create(reservations, batch_size=CHUNK)
    # created_at is set on insert (auto_now_add); spread it as a real campaign would have it.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaign_reservation SET created_at = %s + (id - %s) * interval '40 seconds'",
            [booked_from, reservations[0].pk],
        )

    # Tickets: the held ones for each reservation's film, the rest free, spread over the films.
    tickets, number = [], 0
    for reservation in reservations:
        for _ in range(reservation.quantity):
            number += 1
            tickets.append(
                Ticket(code=f"XF{number:08d}", film_id=reservation.screening.film_id, reservation_id=reservation.pk)
            )
    while number < TICKETS:
        number += 1
        tickets.append(Ticket(code=f"XF{number:08d}", film=films[number % FILMS]))
    for at in range(0, len(tickets), CHUNK):
        Ticket.objects.bulk_create(tickets[at : at + CHUNK])
    held = sum(r.quantity for r in reservations)
    print(f"  {RESERVATIONS:,} reservations, {TICKETS:,} tickets ({held:,} held)", flush=True)

    get_user_model().objects.create_superuser("bench", "bench@example.org", "bench")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
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
        ("reservations page 500", url("reservation_changelist"), {"p": 500}),
        ("reservations page 1000", url("reservation_changelist"), {"p": 1000}),
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
        ("tickets last page", url("ticket_changelist"), {"p": TICKETS // 100}),
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


def measure(client, url: str, query: dict) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(url, query)
        assert response.status_code == 200, f"{url} {query}: {response.status_code}"
        return response

    get()  # warm: templates, imports, connection
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        get()
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        get()
    return statistics.median(timings), len(captured)


def main() -> int:
    with scratch_database("bench_admin") as database_url:
        setup_django(database_url, ALLOWED_HOSTS="testserver")
        load_campaign()
        from django.contrib.auth import get_user_model
        from django.test import Client

        client = Client()
        client.force_login(get_user_model().objects.get(username="bench"))
        ok = True
        print(f"median of {RUNS} runs (Django test client, DEBUG=1), target < {TARGET_MS} ms:")
        print(f"  {'page':<36} {'median ms':>9} {'queries':>7}")
        for label, url, query in pages():
            median, queries = measure(client, url, query)
            passed = median < TARGET_MS
            ok &= passed
            print(f"  {label:<36} {median:9.1f} {queries:7d}  {verdict(passed)}", flush=True)
    print(f"admin: {verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
