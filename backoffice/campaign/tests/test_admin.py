"""Every changelist renders for staff, on a few hundred rows, in a bounded number of queries."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import AccessCodeBatch

pytestmark = pytest.mark.django_db

CHANGELISTS = ["cinema", "film", "screening", "accesscode", "accesscodebatch", "reservation", "ticket"]
MAX_QUERIES = 15


@pytest.fixture(scope="module")
def campaign(django_db_setup, django_db_blocker):
    """A few hundred rows, built once for the module (the tests only read them) in a transaction
    of the module's, rolled back after its last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        _build_campaign()
        yield
        transaction.set_rollback(True)


def _build_campaign():
    films = FilmFactory.create_batch(3)
    cinemas = CinemaFactory.create_batch(5)
    screenings = [ScreeningFactory(film=films[i % 3], cinema=cinemas[i % 5], capacity=50) for i in range(200)]
    batch = AccessCodeBatch.objects.create(requested_count=300, created_count=300, film=films[0])
    codes = AccessCodeFactory.create_batch(300, batch=batch, valid_for=films[0])
    reservations = [
        ReservationFactory(screening=screenings[i % 200], access_code=codes[i], quantity=1) for i in range(250)
    ]
    for i in range(300):
        TicketFactory(film=films[i % 3], reservation=reservations[i] if i < 250 else None)


def test_login_page_is_themed(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert b"admin-interface" in response.content
    assert b"Xmas Films back office" in response.content


@pytest.mark.parametrize("model", CHANGELISTS)
def test_changelist_renders_in_bounded_queries(admin_client, campaign, django_assert_max_num_queries, model):
    url = reverse(f"admin:campaign_{model}_changelist")
    with django_assert_max_num_queries(MAX_QUERIES):
        response = admin_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("model", CHANGELISTS)
def test_changelist_search_and_add_forms_render(admin_client, campaign, model):
    assert admin_client.get(reverse(f"admin:campaign_{model}_changelist"), {"q": "x"}).status_code == 200
    add = admin_client.get(reverse(f"admin:campaign_{model}_add"))
    assert add.status_code == (403 if model == "accesscodebatch" else 200)


def test_code_search_matches_a_prefix_in_any_case(admin_client):
    wanted = AccessCodeFactory(value="BCDF-2345-GHJK-6789")
    AccessCodeFactory(value="ZZZZ-2345-GHJK-6789")
    response = admin_client.get(reverse("admin:campaign_accesscode_changelist"), {"q": "bcdf-23"})
    assert list(response.context["cl"].result_list) == [wanted]


def test_every_model_has_a_readable_str(campaign):
    for factory in (CinemaFactory, FilmFactory, ScreeningFactory, AccessCodeFactory, ReservationFactory, TicketFactory):
        text = str(factory())
        assert text
        assert "object (" not in text


def test_ticket_links_are_left_to_allocation(admin_client):
    held = TicketFactory(reservation=ReservationFactory(quantity=1))
    free = TicketFactory()
    other = ReservationFactory(quantity=1)
    url = reverse("admin:campaign_ticket_change", args=[free.pk])
    response = admin_client.post(url, {"code": free.code, "film": free.film_id, "reservation": other.pk})
    assert response.status_code == 302
    free.refresh_from_db()
    assert free.reservation_id is None

    page = admin_client.get(reverse("admin:campaign_ticket_change", args=[held.pk]))
    assert "film" not in page.context["adminform"].form.fields


@pytest.mark.parametrize("name", ["admin:login", "admin:index", "admin:campaign_film_changelist"])
def test_admin_pages_let_people_zoom(admin_client, name):
    """The theme's viewport tag (user-scalable=no, maximum-scale=1) is left out: pages may be zoomed (WCAG 1.4.4)."""
    html = (Client() if name == "admin:login" else admin_client).get(reverse(name)).content.decode()
    assert 'name="viewport"' in html
    assert "user-scalable=no" not in html
    assert "maximum-scale" not in html
