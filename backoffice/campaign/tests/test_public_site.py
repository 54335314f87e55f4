import gzip
import json
import re

import pytest
from django.test import override_settings

from backoffice import views
from backoffice.campaign.factories import CinemaFactory, FilmFactory

INDEX = (
    '<!doctype html><html><head><meta charset="UTF-8" />\n'
    '    <meta name="description" content="The build\'s own description." />\n'
    "    <title>Xmas Films</title>\n"
    '    <script type="module" crossorigin src="/assets/index.js"></script>\n'
    "  </head><body><div id=root></div></body></html>"
)


@pytest.fixture(autouse=True)
def _fresh_index():
    views._index_html.cache_clear()
    yield
    views._index_html.cache_clear()


@pytest.fixture
def site(tmp_path):
    (tmp_path / "index.html").write_text(INDEX)
    with override_settings(FRONTEND_DIST=tmp_path):
        yield


def head(response) -> dict[str, str]:
    """The page's title and its meta tags, by name or property."""
    html = response.content.decode()
    tags = dict(re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)" />', html))
    tags["title"] = re.search(r"<title>(.*?)</title>", html).group(1)
    return tags


@pytest.mark.django_db
def test_the_sites_routes_get_the_app_page(client, site):
    film, cinema = FilmFactory(slug="elf"), CinemaFactory(slug="york-vangarde")
    for path in ["/", "/films", "/films/", f"/films/{film.slug}", "/cinemas", f"/cinemas/{cinema.slug}/", "/privacy"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"<div id=root>" in response.content
        assert "no-cache" in response["Cache-Control"]
        assert response.content.count(b"<title>") == 1
        assert response.content.count(b'name="description"') == 1


@pytest.mark.django_db
def test_paths_outside_the_site_and_unknown_slugs_are_404_with_the_app_page(client, site):
    FilmFactory(slug="hidden", live=False)
    for path, title in [
        ("/no-such-page", "Page not found"),
        ("/films/elf/tickets", "Page not found"),
        ("/sitemap.xml", "Page not found"),
        ("/campaign-contact", "Page not found"),
        ("/films/no-such-film", "Film not found"),
        ("/films/hidden", "Film not found"),
        ("/cinemas/no-such-cinema", "Cinema not found"),
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"<div id=root>" in response.content, path
        assert head(response)["title"] == f"{title} · Xmas Films", path
        assert head(response)["robots"] == "noindex"


def test_the_admin_and_api_without_their_slash_are_redirected_not_404(client, site):
    for path in ["/admin", "/api"]:
        response = client.get(path)
        assert response.status_code == 301
        assert response["Location"] == f"{path}/"


def test_robots_txt_allows_everything(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"User-agent: *\nAllow: /\n"


@pytest.mark.django_db
def test_a_film_page_is_titled_described_and_previewed_from_the_film(client, site, django_assert_num_queries):
    film = FilmFactory(
        slug="elf", name='Elf & "Friends" <b>', description="  A human raised by elves\n goes to New York.  "
    )
    with django_assert_num_queries(1):
        response = client.get("/films/elf")
    tags = head(response)
    assert tags["title"] == "Elf &amp; &quot;Friends&quot; &lt;b&gt; · Xmas Films"
    assert tags["og:title"] == tags["title"]
    assert tags["description"] == tags["og:description"] == "A human raised by elves goes to New York."
    assert tags["og:type"] == "video.movie"
    assert tags["og:url"] == "http://testserver/films/elf"
    assert "og:image" not in tags  # no poster
    assert "robots" not in tags
    assert "The build's own description" not in response.content.decode()
    assert "<b>" not in response.content.decode()

    film.image_1 = "films/elf.jpg"
    film.save(update_fields=["image_1"])
    tags = head(client.get("/films/elf"))
    assert tags["og:image"] == "http://testserver/media/films/elf.jpg"


@pytest.mark.django_db
def test_a_long_or_missing_film_description_still_gives_a_short_one(client, site):
    FilmFactory(slug="long", name="Long", description="word " * 100)
    FilmFactory(slug="bare", name="Bare", description="")
    assert len(head(client.get("/films/long"))["description"]) <= views.DESCRIPTION_CHARS
    assert head(client.get("/films/bare"))["description"] == (
        "Free tickets to see Bare at a cinema near you this Christmas."
    )


@pytest.mark.django_db
def test_a_cinema_page_is_described_by_its_name_and_address(client, site, django_assert_num_queries):
    CinemaFactory(slug="york", name="York - Vangarde", address="Vangarde Way\nYork YO32 9AE\n")
    with django_assert_num_queries(1):
        tags = head(client.get("/cinemas/york"))
    assert tags["title"] == "York - Vangarde · Xmas Films"
    assert tags["description"] == "Free Christmas film screenings at York - Vangarde, Vangarde Way, York YO32 9AE."
    assert tags["og:type"] == "website"


def test_list_pages_take_the_titles_the_app_gives_them(client, site):
    assert head(client.get("/"))["title"] == "Films · Xmas Films"
    assert head(client.get("/cinemas"))["title"] == "Cinemas · Xmas Films"
    assert head(client.get("/privacy"))["title"] == "Privacy · Xmas Films"


def test_an_unbuilt_site_says_how_to_build_it(client, tmp_path):
    with override_settings(FRONTEND_DIST=tmp_path):
        response = client.get("/cinemas")
    assert response.status_code == 503
    assert b"make run" in response.content


def test_the_app_page_is_read_only(client, site):
    assert client.post("/films").status_code == 405


def test_the_app_page_is_held_to_its_own_origin(client, site):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_api_answers_are_gzipped_for_clients_that_take_it_cached_or_not(client):
    FilmFactory.create_batch(3)
    plain = client.get("/api/films/")
    assert "Content-Encoding" not in plain
    for _ in range(2):  # the second comes from the API cache
        response = client.get("/api/films/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response["Content-Encoding"] == "gzip"
        assert {"Accept", "Accept-Encoding"} <= {v.strip() for v in response["Vary"].split(",")}
        assert json.loads(gzip.decompress(response.content)) == plain.json()
    assert "Content-Encoding" not in client.get("/api/films/")


@pytest.mark.django_db
def test_pages_other_than_the_api_are_not_gzipped(client, site):
    assert "Content-Encoding" not in client.get("/admin/login/", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in client.get("/", HTTP_ACCEPT_ENCODING="gzip")


def preloads(response) -> list[str]:
    """The API URLs a page's head preloads, each as a CORS-mode fetch (as the app's fetch() asks)."""
    html = response.content.decode()
    links = re.findall(r"<link rel=\"preload\"[^>]*>", html)
    assert all(' as="fetch" crossorigin ' in link for link in links), links
    return [re.search(r'href="([^"]+)"', link).group(1).replace("&amp;", "&") for link in links]


@pytest.mark.django_db
def test_each_page_preloads_the_api_requests_its_loader_makes(client, site):
    FilmFactory(slug="elf")
    CinemaFactory(slug="york")
    assert preloads(client.get("/")) == ["/api/films/?page_size=1000"]
    assert preloads(client.get("/films/elf")) == [
        "/api/films/elf/",
        "/api/screenings/?film=elf&page_size=1000",
        "/api/cinemas/?page_size=1000",
    ]
    assert preloads(client.get("/cinemas")) == ["/api/cinemas/?page_size=1000"]
    assert preloads(client.get("/cinemas/york/")) == [
        "/api/cinemas/york/",
        "/api/screenings/?cinema=york&page_size=1000",
    ]
    assert preloads(client.get("/privacy")) == ["/api/privacy/"]
    # Ahead of the script, so the data downloads alongside it.
    html = client.get("/films/elf").content.decode()
    assert html.rindex('rel="preload"') < html.index("<script")


@pytest.mark.django_db
def test_a_404_page_preloads_nothing(client, site):
    for path in ["/no-such-page", "/films/no-such-film", "/cinemas/no-such-cinema"]:
        response = client.get(path)
        assert response.status_code == 404
        assert preloads(response) == [], path
