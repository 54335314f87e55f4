"""What the API cache keys on: the parameters each endpoint knows and JSON, so junk cannot fill Redis."""

import random
import string
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from backoffice.campaign.api.cache import health
from backoffice.campaign.factories import CinemaFactory, FilmFactory, ScreeningFactory
from backoffice.campaign.tests.redis_server import RedisServer, redis_server

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server, server.as_cache():
        yield server
    health.retry_at = 0.0


def junk(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(1, 12)))


def test_junk_parameters_and_accept_values_add_at_most_five_entries(client, redis):
    FilmFactory()
    ScreeningFactory()
    rng = random.Random(16)
    for i in range(1000):
        url = rng.choice(["/api/films/", "/api/cinemas/", "/api/screenings/"])
        if i % 2:
            response = client.get(url, {junk(rng): junk(rng)}, HTTP_ACCEPT=JSON)
        else:
            response = client.get(url, HTTP_ACCEPT=f"application/{junk(rng)}, */*;q=0.1")
        assert response.status_code == 200
    assert redis.command("DBSIZE") <= 5


def test_junk_accept_encoding_adds_one_entry_beside_the_plain_one(client, redis):
    FilmFactory.create_batch(3)
    rng = random.Random(31)
    for _ in range(200):
        client.get("/api/films/", HTTP_ACCEPT=JSON, HTTP_ACCEPT_ENCODING=f"{junk(rng)}, gzip;q=0.{rng.randint(1, 9)}")
        client.get("/api/films/", HTTP_ACCEPT=JSON, HTTP_ACCEPT_ENCODING=junk(rng))
    assert redis.command("DBSIZE") == 3  # the generation, the gzipped answer and the plain one


def test_a_cached_gzipped_answer_is_replayed_without_the_view(client, django_assert_num_queries):
    FilmFactory.create_batch(3)
    first = client.get("/api/films/", HTTP_ACCEPT_ENCODING="gzip")
    with django_assert_num_queries(0):
        second = client.get("/api/films/", HTTP_ACCEPT_ENCODING="br, gzip")
    assert second["Content-Encoding"] == "gzip"
    assert second.content == first.content


def test_every_entry_expires(client, redis):
    FilmFactory()
    client.get("/api/films/", HTTP_ACCEPT=JSON)
    client.get("/api/films/", {"page_size": 5}, HTTP_ACCEPT=JSON)
    keys = redis.command("KEYS", "*")
    assert len(keys) >= 3
    assert all(redis.command("TTL", key) > 0 for key in keys), {key: redis.command("TTL", key) for key in keys}


def test_known_parameters_in_any_order_share_an_entry(client, django_assert_num_queries):
    screening = ScreeningFactory(film=FilmFactory(name="Elf"), cinema=CinemaFactory(name="Bath"))
    first = client.get("/api/screenings/?film=elf&cinema=bath&page_size=5", HTTP_ACCEPT=JSON)
    with django_assert_num_queries(0):
        again = client.get("/api/screenings/?page_size=5&cinema=bath&film=elf", HTTP_ACCEPT=JSON)
    assert [s["slug"] for s in again.json()["results"]] == [screening.slug]
    assert again.content == first.content


def test_unknown_parameters_are_answered_from_the_entry_without_them(client, django_assert_num_queries):
    FilmFactory(name="Elf")
    plain = client.get("/api/films/", HTTP_ACCEPT=JSON)
    with django_assert_num_queries(0):
        tracked = client.get("/api/films/?utm_source=mail&fbclid=x", HTTP_ACCEPT=JSON)
    assert tracked.content == plain.content


def test_a_request_with_unknown_parameters_is_not_stored(client, django_assert_num_queries):
    FilmFactory(name="Elf")
    client.get("/api/films/?utm_source=mail", HTTP_ACCEPT=JSON)
    with django_assert_num_queries(2):  # the page and its count: nothing was stored for /api/films/
        client.get("/api/films/", HTTP_ACCEPT=JSON)


def test_detail_pages_know_no_parameters(client, django_assert_num_queries):
    film = FilmFactory(name="Elf")
    client.get(f"/api/films/{film.slug}/", HTTP_ACCEPT=JSON)
    with django_assert_num_queries(0):
        client.get(f"/api/films/{film.slug}/?page=2&film=x", HTTP_ACCEPT=JSON)


@pytest.mark.parametrize(
    "accept", ["text/html", "text/plain, application/json", "application/json; indent=4", "*/*;q=0.5"]
)
def test_only_json_is_cached(client, django_assert_num_queries, accept):
    FilmFactory(name="Elf")
    client.get("/api/films/", HTTP_ACCEPT=accept)
    with django_assert_num_queries(2):
        client.get("/api/films/", HTTP_ACCEPT=accept)


@pytest.mark.parametrize("accept", [None, "*/*", JSON])
def test_json_and_any_are_cached(client, django_assert_num_queries, accept):
    FilmFactory(name="Elf")
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    client.get("/api/films/", **headers)
    with django_assert_num_queries(0):
        client.get("/api/films/", **headers)


def test_a_bad_host_header_gets_400_and_leaves_the_cache_on(client, redis, django_assert_num_queries, caplog):
    FilmFactory(name="Elf")
    client.get("/api/films/", HTTP_ACCEPT=JSON)
    errors = health.errors
    for _ in range(3):
        assert client.get("/api/films/", HTTP_ACCEPT=JSON, HTTP_HOST="evil.example").status_code == 400
    assert health.errors == errors
    assert health.available()
    assert "API cache unreachable" not in caplog.text
    with django_assert_num_queries(0):
        assert client.get("/api/films/", HTTP_ACCEPT=JSON).status_code == 200


def page_size_spellings() -> list[str]:
    """500 ways to write page_size=1000 that the list reads as 1,000: zeros before, spaces around, sizes above."""
    padded = [
        f"{' ' * before}{'0' * zeros}1000{' ' * after}" for zeros in range(25) for before in (0, 1) for after in (0, 1)
    ]
    return padded[1:] + [str(size) for size in range(1001, 1001 + 500 - len(padded) + 1)]


def test_spellings_of_one_page_size_share_one_entry(client, redis):
    FilmFactory.create_batch(3)
    spellings = page_size_spellings()
    assert len(set(spellings)) == 500
    assert "1000" not in spellings
    first = client.get("/api/films/", {"page_size": "1000"}, HTTP_ACCEPT=JSON)
    for spelling in spellings:
        response = client.get("/api/films/", {"page_size": spelling}, HTTP_ACCEPT=JSON)
        assert response.content == first.content, spelling
    assert redis.command("DBSIZE") == 2  # the generation and one answer


def test_spellings_of_one_page_share_one_entry(client, django_assert_num_queries):
    FilmFactory.create_batch(3)
    first = client.get("/api/films/?page_size=2&page=2", HTTP_ACCEPT=JSON)
    for spelling in ("02", " 2", "2 ", "0002"):
        with django_assert_num_queries(0):
            assert client.get(f"/api/films/?page_size=2&page={spelling}", HTTP_ACCEPT=JSON).content == first.content


@pytest.mark.parametrize("size", ["abc", "0", "-5", "1.5", ""])
def test_a_page_size_the_list_ignores_is_answered_from_the_default_entry_and_not_stored(
    client, django_assert_num_queries, size
):
    FilmFactory(name="Elf")
    plain = client.get("/api/films/", HTTP_ACCEPT=JSON)
    with django_assert_num_queries(0):
        assert client.get("/api/films/", {"page_size": size}, HTTP_ACCEPT=JSON).content == plain.content
    cache.clear()
    client.get("/api/films/", {"page_size": size}, HTTP_ACCEPT=JSON)
    with django_assert_num_queries(2):  # nothing was stored for it, nor for /api/films/
        client.get("/api/films/", HTTP_ACCEPT=JSON)
