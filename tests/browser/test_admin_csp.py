"""The admin and the API docs work under their Content-Security-Policy: the browser blocks nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from playwright.sync_api import Page, expect

from backoffice.campaign.factories import ScreeningFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations(page: Page) -> list[str]:
    blocked: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    return blocked


def test_the_admin_runs_under_its_policy(page: Page, live_server, violations):
    # Staff who edit the schedule and hold no secrets: a password alone signs them in.
    holly = get_user_model().objects.create_user("holly", "holly@example.com", "mistletoe-and-wine", is_staff=True)
    holly.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_film", "view_cinema", "view_screening", "add_screening", "change_screening"]
        )
    )
    screening = ScreeningFactory()
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("holly")
    page.get_by_label("Password").fill("mistletoe-and-wine")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")
    for path in [
        "/admin/campaign/film/",
        "/admin/campaign/screening/add/",
        f"/admin/campaign/screening/{screening.pk}/change/",
    ]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    assert violations == []


def test_the_api_docs_run_under_their_policy(page: Page, live_server, violations):
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_text("/api/films/").first).to_be_visible()
    assert violations == []
