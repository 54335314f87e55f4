"""Access-code values are shown only to staff who may view access codes; every batch download is logged."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import TestCase
from django.urls import reverse

from backoffice.campaign.factories import ReservationFactory, TicketFactory
from backoffice.campaign.models import AccessCode, AccessCodeBatch, DataExchangeLog
from backoffice.campaign.services.access_codes import access_codes_generate
from backoffice.campaign.services.code_runs import code_run_execute
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:campaign_reservation_changelist")


def staff(django_user_model, client, *codenames: str):
    user = django_user_model.objects.create_user("staff", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="campaign", codename__in=codenames))
    verified_login(client, user)
    return user


@pytest.fixture
def reservation():
    reservation = ReservationFactory()
    TicketFactory(film=reservation.screening.film, reservation=reservation)
    return reservation


def change_url(reservation) -> str:
    return reverse("admin:campaign_reservation_change", args=[reservation.pk])


@pytest.mark.parametrize("codenames", [["view_reservation"], ["view_reservation", "change_reservation"]])
def test_reservation_pages_hide_code_values_from_staff_who_may_not_view_codes(
    client, django_user_model, reservation, codenames
):
    staff(django_user_model, client, *codenames)
    code = reservation.access_code.value
    changelist = client.get(CHANGELIST)
    assert changelist.status_code == 200
    assert reservation.reference in changelist.content.decode()
    assert code not in changelist.content.decode()
    change = client.get(change_url(reservation))
    assert change.status_code == 200
    assert code not in change.content.decode()
    ticket = client.get(reverse("admin:campaign_ticket_changelist"))
    assert code not in ticket.content.decode()


def test_searching_reservations_by_code_needs_permission_to_view_codes(client, django_user_model, reservation):
    other = ReservationFactory()
    staff(django_user_model, client, "view_reservation")
    page = client.get(CHANGELIST, {"q": reservation.access_code.value}).content.decode()
    # Matching on the code would tell whoever searches that it exists and who holds it.
    assert reservation.reference not in page
    assert other.reference not in page


def test_staff_who_may_view_codes_see_them(client, django_user_model, reservation):
    staff(django_user_model, client, "view_reservation", "view_accesscode")
    code = reservation.access_code.value
    assert code in client.get(CHANGELIST).content.decode()
    assert code in client.get(change_url(reservation)).content.decode()
    assert reservation.reference in client.get(CHANGELIST, {"q": code}).content.decode()


def test_a_change_without_permission_to_view_codes_keeps_the_code(client, django_user_model, reservation):
    staff(django_user_model, client, "view_reservation", "change_reservation")
    ticket = reservation.tickets.get()
    data = {
        "name": "New Name",
        "email": reservation.email,
        "screening": reservation.screening_id,
        "quantity": 1,
        "ip_address": "",
        "tickets-TOTAL_FORMS": "1",
        "tickets-INITIAL_FORMS": "1",
        "tickets-MIN_NUM_FORMS": "0",
        "tickets-MAX_NUM_FORMS": "1000",
        "tickets-0-id": ticket.pk,
        "tickets-0-reservation": reservation.pk,
    }
    response = client.post(change_url(reservation), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    reservation.refresh_from_db()
    assert (reservation.name, reservation.access_code_id) == ("New Name", reservation.access_code.pk)


def batch_downloads(batch):
    return DataExchangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(AccessCode), file_name=f"access-codes-batch-{batch.pk}.csv"
    )


def test_downloading_a_batch_again_is_logged(admin_client, admin_user):
    batch = access_codes_generate(count=5, source=AccessCodeBatch.Source.COMMAND)
    response = admin_client.get(reverse("admin:campaign_accesscodebatch_download", args=[batch.pk]))
    b"".join(response.streaming_content)
    changelist = reverse("admin:campaign_accesscodebatch_changelist")
    response = admin_client.post(changelist, {"action": "download_csv", "_selected_action": [batch.pk]})
    b"".join(response.streaming_content)
    logs = list(batch_downloads(batch))
    assert [(log.user, log.action, log.file_format, log.rows) for log in logs] == [
        (admin_user, DataExchangeLog.Action.EXPORT, "csv", 5)
    ] * 2


def test_downloading_a_generated_run_is_logged(admin_client, admin_user, private_files):
    with TestCase.captureOnCommitCallbacks(execute=False):
        admin_client.post(reverse("admin:campaign_accesscode_generate"), {"count": 7, "max_usages": 1})
    batch = AccessCodeBatch.objects.get()
    code_run_execute(batch.pk)
    response = admin_client.get(reverse("admin:campaign_accesscodebatch_result", args=[batch.pk]))
    b"".join(response.streaming_content)
    assert [(log.user, log.rows) for log in batch_downloads(batch)] == [(admin_user, 7)]
