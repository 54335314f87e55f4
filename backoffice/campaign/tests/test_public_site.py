import pytest
from django.test import override_settings

from backoffice import views


@pytest.fixture(autouse=True)
def _fresh_index():
    views._index_html.cache_clear()
    yield
    views._index_html.cache_clear()


def test_client_routes_get_the_app_page(client, tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>Xmas Films</title><div id=root></div>")
    with override_settings(FRONTEND_DIST=tmp_path):
        for path in ["/", "/films/elf", "/cinemas/york-vangarde", "/no/such/page"]:
            response = client.get(path)
            assert response.status_code == 200, path
            assert b"<div id=root>" in response.content
            assert "no-cache" in response["Cache-Control"]


def test_an_unbuilt_site_says_how_to_build_it(client, tmp_path):
    with override_settings(FRONTEND_DIST=tmp_path):
        response = client.get("/films/elf")
    assert response.status_code == 503
    assert b"make run" in response.content


def test_the_app_page_is_read_only(client, tmp_path):
    (tmp_path / "index.html").write_text("<div id=root></div>")
    with override_settings(FRONTEND_DIST=tmp_path):
        assert client.post("/films/elf").status_code == 405


def test_the_app_page_is_held_to_its_own_origin(client, tmp_path):
    (tmp_path / "index.html").write_text("<div id=root></div>")
    with override_settings(FRONTEND_DIST=tmp_path):
        response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
