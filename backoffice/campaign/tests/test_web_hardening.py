"""Smaller hardening: the API answers GET and HEAD only, a refused ?next= lands on the admin, CSP everywhere."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from backoffice.campaign.factories import FilmFactory

pytestmark = pytest.mark.django_db

API_URLS = ["/api/", "/api/films/", "/api/films/{film}/", "/api/screenings/", "/api/schema/", "/api/docs/"]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("url", API_URLS)
def test_options_on_the_api_is_405_like_any_other_method_but_get_and_head(client, url):
    film = FilmFactory()
    response = client.options(url.format(film=film.slug))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/admin/", "javascript:alert(1)"])
def test_a_refused_next_lands_on_the_admin_index(client, next_url):
    get_user_model().objects.create_superuser("holly", "holly@example.com", "mistletoe-and-wine")
    response = client.post(
        f"{reverse('admin:login')}?next={next_url}", {"username": "holly", "password": "mistletoe-and-wine"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


@pytest.mark.parametrize("url", ["/admin/login/", "/api/films/", "/api/films/nope/", "/api/docs/", "/api/schema/"])
def test_admin_and_api_responses_carry_a_content_security_policy(client, url):
    first = client.get(url, HTTP_ACCEPT="application/json")
    again = client.get(url, HTTP_ACCEPT="application/json")  # a cached API answer too
    for response in (first, again):
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "object-src 'none'" in policy


def test_the_admin_index_carries_a_content_security_policy(admin_client):
    assert "default-src 'self'" in admin_client.get(reverse("admin:index"))["Content-Security-Policy"]


def test_the_api_docs_run_no_inline_script(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert b"<script>" not in page.content
    script = client.get("/api/docs/", {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content
