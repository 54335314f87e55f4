import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from backoffice.campaign.api.cache import API_PREFIX, api_cache_invalidate
from backoffice.campaign.api.serializers import ScreeningSerializer, screening_rows
from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
)
from backoffice.campaign.models import LONDON, Reservation, Screening

pytestmark = pytest.mark.django_db

FILM_FIELDS = {
    "slug",
    "name",
    "release_date",
    "genre",
    "certificate",
    "description",
    "running_time",
    "showing_from",
    "image_1",
    "image_2",
    "copyright",
    "sold_out",
    "screenings_total",
    "screenings_sold_out",
    "run_ended",
}
CINEMA_FIELDS = {"slug", "name", "address", "lat", "lng"}
SCREENING_FIELDS = {
    "slug",
    "code",
    "film",
    "film_name",
    "cinema",
    "cinema_name",
    "starts_at",
    "capacity",
    "seats_left",
    "sold_out",
    "cancelled",
    "cancellation_reason",
    "bookings_close_at",
    "bookings_closed",
}
PAGE_KEYS = {"count", "next", "previous", "results"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def get(client, url, **params):
    response = client.get(url, params, HTTP_ACCEPT="application/json")
    return response, response.json()


def results(client, url, **params) -> list[dict]:
    response, body = get(client, url, **params)
    assert response.status_code == 200, body
    assert set(body) == PAGE_KEYS
    return body["results"]


def next_year(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(timezone.now().year + 1, month, day, hour, minute, tzinfo=LONDON)


def many_screenings(n: int, *, films: int = 3, cinemas: int = 5) -> None:
    """n upcoming screenings, every other one with a reservation, written in bulk."""
    film_rows = FilmFactory.create_batch(films)
    cinema_rows = CinemaFactory.create_batch(cinemas)
    start = (timezone.now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    screenings = []
    for i in range(n):
        screening = Screening(
            film=film_rows[i % films],
            cinema=cinema_rows[i % cinemas],
            starts_at=start + dt.timedelta(minutes=15 * i),
            capacity=4,
        )
        screening.slug = screening.build_slug()
        screening.code = f"T{i:05d}"  # unique; bulk_create skips the draw save() makes
        screenings.append(screening)
    Screening.objects.bulk_create(screenings)
    code = AccessCodeFactory(max_usages=n)
    Reservation.objects.bulk_create(
        Reservation(screening=s, access_code=code, name="Holly", email=f"holly.{i}@example.org", quantity=2 + i % 3)
        for i, s in enumerate(screenings[::2])
    )


# Films


def test_films_lists_live_films_by_name_with_their_sold_out_counts(client):
    zulu = FilmFactory(name="Zulu Christmas")
    elf = FilmFactory(name="Elf")
    FilmFactory(name="Hidden", live=False)
    full = ScreeningFactory(film=elf, capacity=1)
    ScreeningFactory(film=elf, capacity=1)
    ReservationFactory(screening=full, quantity=1)
    ScreeningFactory(film=zulu, capacity=0)

    films = results(client, "/api/films/")

    assert [f["name"] for f in films] == ["Elf", "Zulu Christmas"]
    assert all(set(f) == FILM_FIELDS for f in films)
    assert {f["slug"]: (f["screenings_total"], f["screenings_sold_out"], f["sold_out"]) for f in films} == {
        elf.slug: (2, 1, False),
        zulu.slug: (1, 1, True),
    }


def test_film_detail_shows_every_public_field(client):
    film = FilmFactory(name="Elf", release_date="2003", running_time=97, certificate="PG")
    film.image_1.name = "films/elf.jpg"
    film.save(update_fields=["image_1"])

    response, body = get(client, f"/api/films/{film.slug}/")

    assert response.status_code == 200
    assert body["name"] == "Elf"
    assert body["release_date"] == "2003"
    assert body["running_time"] == 97
    assert body["image_1"] == "http://testserver/media/films/elf.jpg"
    assert body["image_2"] is None
    assert (body["sold_out"], body["screenings_total"], body["screenings_sold_out"]) == (False, 0, 0)


def test_a_film_whose_screenings_are_all_past_says_its_run_has_ended(client):
    ended = FilmFactory(name="Ended")
    ScreeningFactory(film=ended, starts_at=timezone.now() - dt.timedelta(days=2))
    running = FilmFactory(name="Running")
    ScreeningFactory(film=running, starts_at=timezone.now() - dt.timedelta(days=2))
    ScreeningFactory(film=running, starts_at=timezone.now() + dt.timedelta(days=2))
    FilmFactory(name="Not scheduled yet")

    films = {f["name"]: f for f in results(client, "/api/films/")}

    assert {name: f["run_ended"] for name, f in films.items()} == {
        "Ended": True,
        "Running": False,
        "Not scheduled yet": False,
    }


@pytest.mark.parametrize("url", ["/api/films/no-such-film/", "/api/cinemas/nowhere/", "/api/screenings/never/"])
def test_unknown_slugs_are_404_with_a_detail(client, url):
    response, body = get(client, url)
    assert response.status_code == 404
    assert set(body) == {"detail"}


def test_a_film_that_is_not_live_is_not_found(client):
    film = FilmFactory(live=False)
    response, _ = get(client, f"/api/films/{film.slug}/")
    assert response.status_code == 404


# Cinemas


def test_cinemas_by_name(client):
    CinemaFactory(name="York - Vangarde", address="Vangarde Way, Huntington")
    CinemaFactory(name="Bath - Avon Street", address="Avon Street, BA1 1UN")
    CinemaFactory(name="Leeds - Kirkstall", address="Kirkstall Road")

    everything = results(client, "/api/cinemas/")
    assert [c["name"] for c in everything] == ["Bath - Avon Street", "Leeds - Kirkstall", "York - Vangarde"]
    assert all(set(c) == CINEMA_FIELDS for c in everything)
    # Searching is the site's job, over the whole list: the API has one way to list cinemas.
    assert results(client, "/api/cinemas/", search="york") == everything


def test_cinema_detail(client):
    cinema = CinemaFactory(name="York - Vangarde", lat=53.99, lng=-1.07)
    response, body = get(client, f"/api/cinemas/{cinema.slug}/")
    assert response.status_code == 200
    assert body == {
        "slug": "york-vangarde",
        "name": "York - Vangarde",
        "address": cinema.address,
        "lat": 53.99,
        "lng": -1.07,
    }


# Screenings


def test_screenings_are_upcoming_of_live_films_by_cinema_then_start(client):
    bath, york = CinemaFactory(name="Bath"), CinemaFactory(name="York")
    late_york = ScreeningFactory(cinema=york, starts_at=next_year(12, 5, 20))
    early_york = ScreeningFactory(cinema=york, starts_at=next_year(12, 5, 18))
    bath_one = ScreeningFactory(cinema=bath, starts_at=next_year(12, 6, 18))
    ScreeningFactory(cinema=bath, starts_at=timezone.now() - dt.timedelta(hours=1))
    ScreeningFactory(cinema=bath, film=FilmFactory(live=False))

    screenings = results(client, "/api/screenings/")

    assert [s["slug"] for s in screenings] == [bath_one.slug, early_york.slug, late_york.slug]
    assert all(set(s) == SCREENING_FIELDS for s in screenings)


def test_a_screening_shows_film_cinema_start_and_seats(client):
    screening = ScreeningFactory(
        film=FilmFactory(name="Elf"), cinema=CinemaFactory(name="Bath"), starts_at=next_year(7, 1, 18, 30), capacity=5
    )
    ReservationFactory(screening=screening, quantity=3)
    ReservationFactory(screening=screening, quantity=0)

    response, body = get(client, f"/api/screenings/{screening.slug}/")

    assert response.status_code == 200
    assert body == {
        "slug": screening.slug,
        "code": screening.code,
        "film": "elf",
        "film_name": "Elf",
        "cinema": "bath",
        "cinema_name": "Bath",
        # 18:30 in London in July is BST, UTC+1.
        "starts_at": f"{timezone.now().year + 1}-07-01T18:30:00+01:00",
        "capacity": 5,
        "seats_left": 2,
        "sold_out": False,
        "cancelled": False,
        "cancellation_reason": "",
        # BOOKING_CUTOFF_MINUTES (60) before the start, in London time like the start.
        "bookings_close_at": f"{timezone.now().year + 1}-07-01T17:30:00+01:00",
        "bookings_closed": False,
    }


def test_a_cancelled_screening_is_listed_as_cancelled_with_its_reason_and_not_sold_out(client, django_user_model):
    staff = django_user_model.objects.create_user("marley", first_name="Jacob", last_name="Marley")
    screening = ScreeningFactory(capacity=1)
    ReservationFactory(screening=screening, quantity=1)
    screening.cancelled_at, screening.cancelled_by = timezone.now(), staff
    screening.cancellation_reason = "The screen is closed for repairs."
    screening.save(update_fields=["cancelled_at", "cancelled_by", "cancellation_reason"])
    other = ScreeningFactory(capacity=1)

    by_slug = {s["slug"]: s for s in results(client, "/api/screenings/")}
    response, detail = get(client, f"/api/screenings/{screening.slug}/")

    assert response.status_code == 200
    assert by_slug[screening.slug] == detail
    assert (detail["cancelled"], detail["sold_out"], detail["cancellation_reason"]) == (
        True,
        False,
        "The screen is closed for repairs.",
    )
    assert (by_slug[other.slug]["cancelled"], by_slug[other.slug]["cancellation_reason"]) == (False, "")
    # Who cancelled it is staff's business, never the public's.
    assert "marley" not in response.content.decode().lower()
    assert "cancelled_by" not in detail


@pytest.mark.parametrize(("minutes_to_start", "closed"), [(61, False), (59, True), (1, True)])
def test_a_screening_past_its_cut_off_is_listed_as_bookings_closed_whatever_its_seats(client, minutes_to_start, closed):
    starts_at = (timezone.now() + dt.timedelta(minutes=minutes_to_start)).replace(microsecond=0)
    screening = ScreeningFactory(capacity=10, starts_at=starts_at)

    _, body = get(client, f"/api/screenings/{screening.slug}/")

    assert (body["bookings_closed"], body["seats_left"], body["sold_out"]) == (closed, 10, False)
    assert dt.datetime.fromisoformat(body["bookings_close_at"]) == starts_at - dt.timedelta(minutes=60)


def test_sold_out_and_seats_left_follow_the_reservations(client):
    screening = ScreeningFactory(capacity=3)
    ReservationFactory(screening=screening, quantity=3)
    closed = ScreeningFactory(capacity=0)
    by_slug = {s["slug"]: s for s in results(client, "/api/screenings/")}
    assert (by_slug[screening.slug]["seats_left"], by_slug[screening.slug]["sold_out"]) == (0, True)
    assert (by_slug[closed.slug]["seats_left"], by_slug[closed.slug]["sold_out"]) == (0, True)


def test_past_and_unpublished_screenings_are_not_found(client):
    gone = ScreeningFactory(starts_at=timezone.now() - dt.timedelta(minutes=5))
    hidden = ScreeningFactory(film=FilmFactory(live=False))
    for screening in (gone, hidden):
        response, _ = get(client, f"/api/screenings/{screening.slug}/")
        assert response.status_code == 404


def test_screenings_filter_by_film_and_cinema_slug(client):
    elf, muppets = FilmFactory(name="Elf"), FilmFactory(name="Muppets")
    bath, york = CinemaFactory(name="Bath"), CinemaFactory(name="York")
    wanted = ScreeningFactory(film=elf, cinema=york)
    ScreeningFactory(film=elf, cinema=bath)
    ScreeningFactory(film=muppets, cinema=york)

    assert len(results(client, "/api/screenings/", film="elf")) == 2
    assert len(results(client, "/api/screenings/", cinema="york")) == 2
    assert [s["slug"] for s in results(client, "/api/screenings/", film="elf", cinema="york")] == [wanted.slug]
    assert results(client, "/api/screenings/", film="no-such-film") == []


def test_screenings_filter_by_london_calendar_day(client):
    # In summer London is UTC+1: 23:30 on 1 July in London is 22:30 UTC, 00:30 on 2 July is 23:30 UTC
    # on 1 July. The day is London's, not UTC's.
    late = ScreeningFactory(starts_at=next_year(7, 1, 23, 30))
    after_midnight = ScreeningFactory(starts_at=next_year(7, 2, 0, 30))
    year = timezone.now().year + 1

    assert [s["slug"] for s in results(client, "/api/screenings/", date=f"{year}-07-01")] == [late.slug]
    assert [s["slug"] for s in results(client, "/api/screenings/", date=f"{year}-07-02")] == [after_midnight.slug]
    assert results(client, "/api/screenings/", date=f"{year}-07-03") == []


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01", "2026-02-30", "24/12/2026", "20261224", "2026-W52-4", ""])
def test_a_bad_date_is_a_clear_400(client, bad):
    response, body = get(client, "/api/screenings/", date=bad)
    assert response.status_code == 400
    assert "YYYY-MM-DD" in body["date"][0]


@pytest.mark.parametrize("edge", ["9999-12-31", "0001-01-01"])
def test_a_date_at_the_end_of_the_calendar_is_a_clear_400(client, edge):
    response, body = get(client, "/api/screenings/", date=edge)
    assert response.status_code == 400
    assert body == {"date": [f"Give a date between 1900-01-01 and 9998-12-31 (got '{edge}')."]}


@pytest.mark.parametrize("params", [{"film": "\x00"}, {"cinema": "bath\x00"}, {"film": "elf", "cinema": "%\x00"}])
def test_a_filter_no_slug_can_match_gives_an_empty_list(client, params):
    ScreeningFactory(film=FilmFactory(name="Elf"), cinema=CinemaFactory(name="Bath"))
    assert results(client, "/api/screenings/", **params) == []


@pytest.mark.parametrize("url", ["/api/films/%00/", "/api/cinemas/bath%00/", "/api/screenings/%00x/"])
def test_a_slug_no_row_can_have_is_404(client, url):
    assert client.get(url, HTTP_ACCEPT="application/json").status_code == 404


def test_screening_serializer_gives_what_drf_field_by_field_would():
    ScreeningFactory(capacity=2, starts_at=next_year(7, 1, 18, 30))
    ReservationFactory(screening=ScreeningFactory(capacity=2, starts_at=next_year(12, 1, 18, 30)), quantity=2)
    for row in screening_rows(Screening.objects.all()):
        serializer = ScreeningSerializer()
        assert serializer.to_representation(row) == serializers.Serializer.to_representation(serializer, row)
    rows = ScreeningSerializer(screening_rows(Screening.objects.order_by("starts_at")), many=True).data
    assert [(r["seats_left"], r["sold_out"]) for r in rows] == [(2, False), (0, True)]


def test_pages_hold_page_size_rows_up_to_1000(client):
    many_screenings(12)
    _, body = get(client, "/api/screenings/", page_size=5, page=2)
    assert body["count"] == 12
    assert len(body["results"]) == 5
    assert body["next"].endswith("page=3&page_size=5")
    assert body["previous"].endswith("page_size=5")
    assert len(results(client, "/api/screenings/", page_size=5000)) == 12


# No personal data, read-only


def test_no_personal_data_anywhere(client):
    code = AccessCodeFactory(value="BCDF-GHJK-LMNP-QRST")
    reservation = ReservationFactory(
        access_code=code, name="Ebenezer Scrooge", email="scrooge@counting-house.example", ip_address="192.0.2.7"
    )
    screening, film, cinema = reservation.screening, reservation.screening.film, reservation.screening.cinema
    urls = [
        "/api/films/",
        f"/api/films/{film.slug}/",
        "/api/cinemas/",
        f"/api/cinemas/{cinema.slug}/",
        "/api/screenings/",
        f"/api/screenings/{screening.slug}/",
        "/api/contact/",
        "/api/privacy/",
        "/api/schema/",
    ]
    secrets = ["Scrooge", "counting-house", code.value, reservation.reference, "192.0.2.7", "email", "access_code"]
    # The campaign's own booking address is the one email the API may show (the privacy notice
    # says what "email" it keeps).
    staff_contact = {"/api/contact/", "/api/privacy/", "/api/schema/"}
    for url in urls:
        text = client.get(url, HTTP_ACCEPT="application/json").content.decode()
        for secret in secrets:
            if not (secret == "email" and url in staff_contact):
                assert secret not in text, (url, secret)
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["components"]["schemas"]
    assert {name for name, schema in schemas.items() if "email" in schema.get("properties", {})} == {"Contact"}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("url", ["/api/films/", "/api/cinemas/", "/api/screenings/", "/api/films/{film}/"])
def test_the_api_is_read_only(client, method, url):
    film = FilmFactory()
    response = getattr(client, method)(url.format(film=film.slug), {}, content_type="application/json")
    assert response.status_code == 405


def test_only_json_when_debug_is_off():
    # Settings are read at start-up, so production is checked in a fresh interpreter.
    code = (
        "import django; django.setup(); from rest_framework.settings import api_settings; "
        "print([r.format for r in api_settings.DEFAULT_RENDERER_CLASSES])"
    )
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "p9-" + "Zq8xW3vN6mK1jH4gF7dS2aL5" * 3,
        "ALLOWED_HOSTS": "films.example.org",
    }
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, **production, "DJANGO_SETTINGS_MODULE": "backoffice.settings"},
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['json']"


# Cost: constant queries


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/screenings/", {"page_size": 1000}),
        ("/api/screenings/", {"page_size": 1000, "cinema": "no-such-cinema"}),
        ("/api/films/", {}),
        ("/api/cinemas/", {"page_size": 1000}),
    ],
)
def test_list_queries_do_not_grow_with_rows(client, url, params):
    def queries(n: int) -> tuple[int, int]:
        Reservation.objects.all().delete()
        Screening.objects.all().delete()
        many_screenings(n, films=3 if n < 100 else 30, cinemas=5 if n < 100 else 200)
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response, body = get(client, url, **params)
        assert response.status_code == 200
        return len(captured), len(body["results"])

    few, few_rows = queries(10)
    many, many_rows = queries(1000)
    assert many_rows > few_rows or params.get("cinema")
    assert few == many <= 2


# Caching


def test_responses_are_publicly_cacheable_for_a_minute(client):
    response, _ = get(client, "/api/films/")
    assert response["Cache-Control"] == "public, max-age=60"


def test_a_repeat_is_served_from_the_cache_without_queries(client, django_assert_num_queries):
    many_screenings(5)
    first, body = get(client, "/api/screenings/")
    with django_assert_num_queries(0):
        second, again = get(client, "/api/screenings/")
    assert again == body
    assert second["Cache-Control"] == "public, max-age=60"
    assert int(second["Age"]) >= 0
    assert "Age" not in first


def test_a_hit_replays_the_original_headers(client):
    ScreeningFactory()
    first, _ = get(client, "/api/screenings/")
    second, _ = get(client, "/api/screenings/")
    assert "Age" in second
    assert {k: v for k, v in second.items() if k != "Age"} == dict(first.items())


def test_only_the_api_is_cached(client):
    assert reverse("api:api-root") == API_PREFIX
    response = client.get(reverse("admin:login"))
    assert "public" not in response.get("Cache-Control", "")
    assert "Age" not in client.get(reverse("admin:login"))


def test_each_format_is_cached_apart(client):
    yaml = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    json = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert yaml.content.startswith(b"openapi:")
    assert json.json()["openapi"].startswith("3.")
    assert "Accept" in json["Vary"]


def test_each_url_is_cached_apart(client):
    elf = ScreeningFactory(film=FilmFactory(name="Elf"))
    ScreeningFactory(film=FilmFactory(name="Muppets"))
    assert len(results(client, "/api/screenings/")) == 2
    assert [s["slug"] for s in results(client, "/api/screenings/", film="elf")] == [elf.slug]


def test_a_reservation_invalidates_the_cache_once_committed(client, django_capture_on_commit_callbacks):
    screening = ScreeningFactory(capacity=2)
    url = f"/api/screenings/{screening.slug}/"
    assert get(client, url)[1]["seats_left"] == 2

    with django_capture_on_commit_callbacks(execute=True):
        reservation = ReservationFactory(screening=screening, quantity=2)
    assert get(client, url)[1]["sold_out"] is True

    with django_capture_on_commit_callbacks(execute=True):
        reservation.quantity = 1
        reservation.save(update_fields=["quantity"])
    assert get(client, url)[1]["seats_left"] == 1


@pytest.mark.parametrize("change", ["film", "cinema", "screening", "delete"])
def test_catalogue_changes_invalidate_the_cache(client, django_capture_on_commit_callbacks, change):
    screening = ScreeningFactory(film=FilmFactory(name="Elf"), cinema=CinemaFactory(name="Bath"), capacity=2)
    before = results(client, "/api/screenings/")
    with django_capture_on_commit_callbacks(execute=True):
        if change == "film":
            screening.film.name = "Elf (Sing-along)"
            screening.film.save(update_fields=["name"])
        elif change == "cinema":
            screening.cinema.name = "Bath - Avon Street"
            screening.cinema.save(update_fields=["name"])
        elif change == "screening":
            screening.capacity = 9
            screening.save(update_fields=["capacity"])
        else:
            screening.delete()
    assert results(client, "/api/screenings/") != before


def test_cancelling_a_screening_invalidates_the_cache_once_committed(client, django_capture_on_commit_callbacks):
    screening = ScreeningFactory(capacity=2)
    url = f"/api/screenings/{screening.slug}/"
    assert get(client, url)[1]["cancelled"] is False
    film_url = f"/api/films/{screening.film.slug}/"
    assert get(client, film_url)[1]["screenings_total"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        screening.cancelled_at, screening.cancellation_reason = timezone.now(), "Snow."
        screening.save(update_fields=["cancelled_at", "cancellation_reason"])

    assert (get(client, url)[1]["cancelled"], get(client, url)[1]["cancellation_reason"]) == (True, "Snow.")
    assert (get(client, film_url)[1]["screenings_total"], get(client, film_url)[1]["run_ended"]) == (0, True)


def test_writes_that_skip_signals_show_after_an_explicit_invalidation(client):
    screening = ScreeningFactory(capacity=2)
    assert results(client, "/api/screenings/")[0]["capacity"] == 2
    Screening.objects.filter(pk=screening.pk).update(capacity=7)
    assert results(client, "/api/screenings/")[0]["capacity"] == 2  # cached: update() sends no signal
    api_cache_invalidate()
    assert results(client, "/api/screenings/")[0]["capacity"] == 7


def test_cached_responses_expire(client):
    screening = ScreeningFactory(capacity=2)
    with override_settings(API_CACHE_SECONDS=1):
        assert results(client, "/api/screenings/")[0]["capacity"] == 2
        Screening.objects.filter(pk=screening.pk).update(capacity=7)
        time.sleep(1.1)
        assert results(client, "/api/screenings/")[0]["capacity"] == 7


def test_errors_are_not_cached(client):
    response, _ = get(client, "/api/films/elf/")
    assert response.status_code == 404
    FilmFactory(name="Elf")
    response, _ = get(client, "/api/films/elf/")
    assert response.status_code == 200


# Schema and docs


def test_schema_describes_the_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert {"/api/films/", "/api/films/{slug}/", "/api/cinemas/", "/api/screenings/", "/api/screenings/{slug}/"} <= set(
        schema["paths"]
    )
    list_params = {p["name"] for p in schema["paths"]["/api/screenings/"]["get"]["parameters"]}
    assert {"film", "cinema", "date", "page", "page_size"} <= list_params
    assert set(schema["components"]["schemas"]["Screening"]["properties"]) == SCREENING_FIELDS


def test_docs_page_works_offline(client):
    response = client.get("/api/docs/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = response.content.decode()
    bundle = "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert f"/static/{bundle}" in html
    assert "cdn" not in html.lower()
    assert finders.find(bundle), "the Swagger UI files ship with the project (collectstatic serves them)"
