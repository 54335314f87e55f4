"""Film images uploaded in the admin are served with DEBUG off, and nothing else under or beyond MEDIA_ROOT is."""

import io
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from backoffice.campaign.models import Film

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings, tmp_path):
    settings.DEBUG = False
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media").mkdir()
    (tmp_path / "secret.png").write_bytes(b"not yours")
    return tmp_path


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 6), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_poster_uploaded_in_the_admin_is_served_at_its_api_url(admin_client, production):
    admin_client.post(
        "/admin/campaign/film/add/",
        {"name": "Elf", "slug": "elf", "live": "on", "image_1": SimpleUploadedFile("poster.png", png(), "image/png")},
    )
    client = Client()  # a visitor
    assert Film.objects.get().image_1.name == "films/poster.png"
    url = client.get("/api/films/elf/").json()["image_1"]
    assert url == "http://testserver/media/films/poster.png"

    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png()
    assert "public" in response["Cache-Control"]
    assert client.head(urlsplit(url).path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/media/../secret.png",
        "/media/%2e%2e/secret.png",
        "/media/films/../../secret.png",
        "/media/..%2fsecret.png",
        "/media//etc/passwd",
        "/media/films/missing.png",
        "/media/films/",
        "/media/films/page.html",
        "/media/films/drawing.svg",
        "/media/films/outside.png",
    ],
)
def test_nothing_but_an_image_inside_media_root_is_served(client, production, path):
    films = production / "media" / "films"
    films.mkdir()
    (films / "page.html").write_text("<script>alert(1)</script>")
    (films / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    (films / "outside.png").symlink_to(production / "secret.png")
    response = client.get(path)
    assert response.status_code == 404
    assert b"not yours" not in b"".join(getattr(response, "streaming_content", [response.content]))


def test_only_safe_methods_are_answered(client, production):
    (production / "media" / "poster.png").write_bytes(png())
    assert client.post("/media/poster.png").status_code == 405
