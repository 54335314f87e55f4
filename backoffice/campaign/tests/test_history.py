"""Who changed what: field-level history of reservations, screenings, batches, cinemas and films."""

import pytest
from django.urls import reverse

from backoffice.campaign.factories import CinemaFactory, FilmFactory, ReservationFactory, ScreeningFactory
from backoffice.campaign.models import AccessCodeBatch, Reservation
from backoffice.campaign.services.access_codes import access_codes_generate

pytestmark = pytest.mark.django_db


def test_an_admin_change_of_a_reservation_is_recorded_with_the_staff_member(admin_client, admin_user):
    reservation = ReservationFactory(quantity=0, name="Mary Holly")
    url = reverse("admin:campaign_reservation_change", args=[reservation.pk])
    data = {
        "name": "Mary Holly-Berry",
        "email": reservation.email,
        "screening": reservation.screening_id,
        "access_code": reservation.access_code_id,
        "quantity": 0,
        "tickets-TOTAL_FORMS": 0,
        "tickets-INITIAL_FORMS": 0,
        "tickets-MIN_NUM_FORMS": 0,
        "tickets-MAX_NUM_FORMS": 0,
    }
    assert admin_client.post(url, data).status_code == 302

    latest = Reservation.history.filter(id=reservation.pk).latest()
    assert latest.history_user == admin_user
    assert latest.history_type == "~"
    change = latest.diff_against(latest.prev_record)
    assert [(c.field, c.old, c.new) for c in change.changes] == [("name", "Mary Holly", "Mary Holly-Berry")]


@pytest.mark.parametrize("model", ["reservation", "screening", "cinema", "film"])
def test_each_object_page_shows_its_history(admin_client, model):
    obj = {
        "reservation": lambda: ReservationFactory(quantity=0),
        "screening": ScreeningFactory,
        "cinema": CinemaFactory,
        "film": FilmFactory,
    }[model]()
    page = admin_client.get(reverse(f"admin:campaign_{model}_history", args=[obj.pk]))
    assert page.status_code == 200
    assert "Created" in page.content.decode()


def test_history_is_a_record_not_an_undo(admin_client):
    screening = ScreeningFactory(capacity=10)
    version = screening.history.latest()
    screening.capacity = 12
    screening.save(update_fields=["capacity"])
    url = reverse("admin:campaign_screening_simple_history", args=[screening.pk, version.history_id])
    assert admin_client.get(url).status_code == 200
    revert = {"film": screening.film_id, "cinema": screening.cinema_id, "capacity": 10}
    assert admin_client.post(url, {**revert, "starts_at_0": "2030-01-01", "starts_at_1": "18:00"}).status_code == 405
    screening.refresh_from_db()
    assert screening.capacity == 12


def test_a_code_batch_history_keeps_the_start_and_the_end_not_each_step():
    batch = access_codes_generate(count=25, batch_size=10, source=AccessCodeBatch.Source.COMMAND)
    versions = list(batch.history.order_by("history_id").values_list("status", "created_count"))
    assert versions == [("running", 0), ("completed", 25)]
