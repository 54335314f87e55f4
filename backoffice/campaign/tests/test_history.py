"""Who changed what: field-level history of reservations, screenings, batches, cinemas and films."""

import datetime as dt

import pytest
from django.urls import reverse

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import LONDON, AccessCodeBatch, Reservation
from backoffice.campaign.services.access_codes import access_codes_generate
from backoffice.campaign.services.personal_data import ERASURE_REASON
from backoffice.campaign.services.personal_data_register import ERASED_NAME

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


@pytest.mark.parametrize("model", ["reservation", "screening", "cinema", "film", "accesscodebatch"])
def test_each_object_page_shows_its_history(admin_client, model):
    obj = {
        "reservation": lambda: ReservationFactory(quantity=0),
        "screening": ScreeningFactory,
        "cinema": CinemaFactory,
        "film": FilmFactory,
        "accesscodebatch": lambda: access_codes_generate(count=3, source=AccessCodeBatch.Source.COMMAND),
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


def test_every_admin_change_of_a_reservation_has_a_history_row_naming_the_staff_member(admin_client, admin_user):
    screening = ScreeningFactory(capacity=10)
    TicketFactory.create_batch(4, film=screening.film)
    code = AccessCodeFactory()
    booking = {"name": "Mary Holly", "email": "mary@example.com", "screening": screening.pk, "quantity": 2}
    added = admin_client.post(reverse("admin:campaign_reservation_add"), {**booking, "access_code": code.pk})
    assert added.status_code == 302
    reservation = Reservation.objects.get()
    change_url = reverse("admin:campaign_reservation_change", args=[reservation.pk])
    held = list(reservation.tickets.values_list("pk", flat=True))
    changed = {**booking, "access_code": code.pk, "quantity": 1, "tickets-TOTAL_FORMS": len(held)}
    changed |= {"tickets-INITIAL_FORMS": len(held), "tickets-MIN_NUM_FORMS": 0, "tickets-MAX_NUM_FORMS": 0}
    for i, pk in enumerate(held):
        changed |= {f"tickets-{i}-id": pk, f"tickets-{i}-reservation": reservation.pk}
    assert admin_client.post(change_url, changed).status_code == 302
    changelist = reverse("admin:campaign_reservation_changelist")
    erase = {"action": "erase_personal_data", "post": "yes", "_selected_action": [reservation.pk]}
    assert admin_client.post(changelist, erase).status_code == 302

    versions = reservation.history.order_by("history_id")
    assert [(v.history_type, v.history_user, v.quantity) for v in versions] == [
        ("+", admin_user, 2),
        ("~", admin_user, 1),
        ("~", admin_user, 1),
    ]
    assert versions.last().history_change_reason == ERASURE_REASON
    assert versions.last().name == ERASED_NAME


def test_a_screenings_history_page_shows_who_moved_it_and_its_capacity_before_and_after(admin_client, admin_user):
    screening = ScreeningFactory(capacity=10, starts_at=dt.datetime(2030, 12, 12, 18, 30, tzinfo=LONDON))
    data = {"film": screening.film_id, "cinema": screening.cinema_id, "capacity": 12}
    data |= {"starts_at_0": "2030-12-13", "starts_at_1": "20:00"}
    assert admin_client.post(reverse("admin:campaign_screening_change", args=[screening.pk]), data).status_code == 302

    latest = screening.history.latest()
    assert latest.history_user == admin_user
    changes = {c.field: (c.old, c.new) for c in latest.diff_against(latest.prev_record).changes}
    assert changes["capacity"] == (10, 12)
    assert changes["starts_at"][1] - changes["starts_at"][0] == dt.timedelta(days=1, hours=1, minutes=30)
    page = admin_client.get(reverse("admin:campaign_screening_history", args=[screening.pk])).content.decode()
    assert admin_user.get_username() in page
    assert "capacity" in page.lower()
