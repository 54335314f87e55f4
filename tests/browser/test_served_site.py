"""What the production setup (gunicorn, DEBUG=0, the built site) sends: compressed files and API, icons, 404s,
and a first visit's requests, none of which waits for another it could have started with."""

import gzip
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import brotli
import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import Browser, expect

from backoffice.campaign.factories import CinemaFactory, FilmFactory, ScreeningFactory
from backoffice.campaign.tests.servers import database_url, production_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DIST = Path(settings.BASE_DIR) / "frontend" / "dist"


@pytest.fixture
def server():
    with production_server(database_url(connection.settings_dict), workers=1) as base:
        yield base


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    try:
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - the loopback server's URLs only
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_the_entry_script_and_stylesheet_go_out_compressed(server):
    html = (DIST / "index.html").read_text()
    entry = html.split('<script type="module" crossorigin src="', 1)[1].split('"', 1)[0]
    stylesheet = html.split('<link rel="stylesheet" crossorigin href="', 1)[1].split('"', 1)[0]
    for path in (entry, stylesheet):
        status, headers, body = get(server + path, **{"Accept-Encoding": "br, gzip"})
        assert status == 200
        assert headers["content-encoding"] == "br", path
        assert "Accept-Encoding" in headers["vary"]
        assert brotli.decompress(body) == (DIST / path.lstrip("/")).read_bytes()
        assert "immutable" in headers["cache-control"]

        status, headers, body = get(server + path, **{"Accept-Encoding": "gzip"})
        assert headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == (DIST / path.lstrip("/")).read_bytes()


def test_the_bundle_budget_is_measured_on_what_the_server_sends():
    result = subprocess.run(
        [sys.executable, "scripts/check_bundle_size.py"], cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KB sent (br)" in result.stdout


def test_api_answers_go_out_gzipped(server):
    FilmFactory.create_batch(5)
    status, headers, body = get(f"{server}/api/films/", **{"Accept-Encoding": "br, gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in headers["vary"]
    assert len(json.loads(gzip.decompress(body))["results"]) == 5


def test_icons_robots_and_unknown_paths(server):
    status, headers, body = get(f"{server}/favicon.ico")
    assert status == 200
    assert headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    status, headers, body = get(f"{server}/apple-touch-icon.png")
    assert (status, headers["content-type"], body[:8]) == (200, "image/png", b"\x89PNG\r\n\x1a\n")

    status, headers, body = get(f"{server}/robots.txt")
    assert (status, headers["content-type"], body) == (200, "text/plain; charset=utf-8", b"User-agent: *\nAllow: /\n")

    for path in ["/no-such-page", "/films/no-such-film", "/sitemap.xml"]:
        status, headers, body = get(server + path)
        assert status == 404, path
        assert b'id="root"' in body
        assert "default-src 'self'" in headers["content-security-policy"]


def first_visit(browser: Browser, url: str) -> tuple[list[str], list[str], list[str]]:
    """Open ``url`` in a fresh browser (nothing cached) until its data shows: the API requests it
    made, the ones its head preloads, and the console's errors (a CSP violation is one)."""
    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: "/api/" in request.url and requested.append(request.url))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(url)
    expect(page.locator("#main .status--loading")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    preloaded = page.eval_on_selector_all('link[rel="preload"][as="fetch"]', "links => links.map(l => l.href)")
    context.close()
    return requested, preloaded, errors


def test_a_first_visit_asks_for_its_data_once_alongside_the_script_under_the_policy(browser: Browser, server):
    """Each page's head preloads the API requests its loader makes and the app's fetches take those
    answers: every data request is made once, none waits for the script, and the strict CSP blocks
    nothing. A preload the app could not use would show as a second request."""
    ScreeningFactory(film=FilmFactory(slug="elf", name="Elf"), cinema=CinemaFactory(slug="york", name="York"))
    for path in ["/", "/films/elf", "/cinemas", "/cinemas/york", "/privacy"]:
        requested, preloaded, errors = first_visit(browser, server + path)
        # The footer's contact is fetched after the first render, on purpose: no page waits for it.
        data = [url for url in requested if not url.endswith("/api/contact/")]
        assert preloaded, path
        assert sorted(data) == sorted(preloaded), path
        assert len(requested) == len(set(requested)), path
        assert errors == [], path
