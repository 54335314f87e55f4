"""The outbox in the admin: a reservation's emails, resending, previews, door lists, ticket stock."""

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import Email, Reservation

pytestmark = pytest.mark.django_db


@pytest.fixture
def screening():
    film = FilmFactory(name="Elf")
    TicketFactory.create_batch(10, film=film)
    cinema = CinemaFactory(name="York - Vangarde", contact_email="door@vue.example")
    return ScreeningFactory(film=film, cinema=cinema, starts_at=timezone.now() + dt.timedelta(days=2))


@pytest.fixture
def reservation(screening):
    return Reservation.objects.create(
        screening=screening, access_code=AccessCodeFactory(), quantity=2, name="Mary Holly", email="mary@example.com"
    )


def change_url(reservation: Reservation) -> str:
    return reverse("admin:campaign_reservation_change", args=[reservation.pk])


def test_a_reservation_shows_its_emails_with_status_and_error_and_a_resend_button(admin_client, reservation):
    Email.objects.update(status=Email.Status.FAILED, last_error="SMTPRecipientsRefused: mailbox unavailable")
    response = admin_client.get(change_url(reservation))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Confirmation" in content
    assert "Failed" in content
    assert "SMTPRecipientsRefused: mailbox unavailable" in content
    assert reverse("admin:campaign_email_resend", args=[reservation.pk]) in content


def test_resend_confirmation_queues_a_new_confirmation(admin_client, reservation):
    response = admin_client.post(reverse("admin:campaign_email_resend", args=[reservation.pk]), follow=True)

    assert response.redirect_chain[-1][0] == change_url(reservation)
    assert "Confirmation queued for mary@example.com" in response.content.decode()
    assert Email.objects.filter(reservation=reservation, kind=Email.Kind.CONFIRMATION).count() == 2


def test_resend_is_refused_for_a_cancelled_reservation_and_queues_nothing(admin_client, reservation):
    Reservation.objects.update_booking(reservation, quantity=0)
    before = Email.objects.count()
    response = admin_client.post(reverse("admin:campaign_email_resend", args=[reservation.pk]), follow=True)

    assert "is cancelled: there are no tickets to send" in response.content.decode()
    assert Email.objects.count() == before


def test_resend_needs_a_post_and_the_change_permission(client, admin_client, reservation):
    url = reverse("admin:campaign_email_resend", args=[reservation.pk])
    assert admin_client.get(url).status_code == 405
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_email"))
    client.force_login(viewer)
    assert client.post(url).status_code == 403
    assert Email.objects.count() == 1


def test_the_bulk_action_resends_to_every_selected_active_reservation(admin_client, screening, reservation):
    cancelled = Reservation.objects.create(
        screening=screening, access_code=AccessCodeFactory(), quantity=1, name="Gone", email="gone@example.com"
    )
    Reservation.objects.update_booking(cancelled, quantity=0)
    response = admin_client.post(
        reverse("admin:campaign_reservation_changelist"),
        {"action": "resend_confirmation", "_selected_action": [reservation.pk, cancelled.pk]},
        follow=True,
    )

    content = response.content.decode()
    assert "Confirmation queued for 1 reservation(s)." in content
    assert f"{cancelled.reference} is cancelled" in content
    assert Email.objects.filter(kind=Email.Kind.CONFIRMATION, reservation=reservation).count() == 2
    assert Email.objects.filter(kind=Email.Kind.CONFIRMATION, reservation=cancelled).count() == 1


@pytest.mark.parametrize("kind", Email.Kind.values)
def test_each_template_previews_with_sample_data(admin_client, kind):
    response = admin_client.get(reverse("admin:campaign_email_preview", args=[kind]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Elf" in content
    assert "K7QF3MZP" in content
    if kind in Email.WITH_TICKETS:
        assert 'src="data:image/png;base64,' in content
        assert 'alt="QR code for ticket VUE-0001-4821"' in content


def test_the_emails_page_links_every_preview(admin_client):
    content = admin_client.get(reverse("admin:campaign_email_changelist")).content.decode()
    for kind in Email.Kind.values:
        assert reverse("admin:campaign_email_preview", args=[kind]) in content


def test_an_unknown_template_is_a_404(admin_client):
    assert admin_client.get(reverse("admin:campaign_email_preview", args=["birthday"])).status_code == 404


def test_a_queued_message_can_be_read_in_the_admin(admin_client, reservation):
    email = Email.objects.get()
    content = admin_client.get(reverse("admin:campaign_email_message", args=[email.pk])).content.decode()

    assert reservation.reference in content
    for code in reservation.tickets.values_list("code", flat=True):
        assert code in content


def test_send_again_requeues_a_failed_message_with_fresh_tries(admin_client, reservation):
    Email.objects.update(status=Email.Status.FAILED, attempts=8, last_error="timed out")
    email = Email.objects.get()
    admin_client.post(
        reverse("admin:campaign_email_changelist"), {"action": "send_again", "_selected_action": [email.pk]}
    )

    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (Email.Status.QUEUED, 0, "")


def test_films_show_free_held_and_void_stock(admin_client, screening, reservation):
    Reservation.objects.update_booking(reservation, quantity=1)  # one emailed ticket released: void
    response = admin_client.get(reverse("admin:campaign_film_changelist"))

    changelist = response.context["cl"]
    film = changelist.result_list[0]
    assert (film.tickets_free, film.tickets_held, film.tickets_void) == (8, 1, 1)


def test_the_door_list_exports_active_reservations_with_their_codes(admin_client, screening, reservation):
    ReservationFactory(screening=screening, quantity=0, name="Gone")
    response = admin_client.post(
        reverse("admin:campaign_screening_changelist"),
        {"action": "export_door_list", "_selected_action": [screening.pk]},
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="door-list.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    codes = " ".join(reservation.tickets.order_by("code").values_list("code", flat=True))
    assert [(row["reference"], row["name"], row["seats"], row["ticket codes"]) for row in rows] == [
        (reservation.reference, "Mary Holly", "2", codes)
    ]


def test_the_door_list_needs_the_reservations_export_permission(client, screening):
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_screening"))
    client.force_login(staff)
    response = client.get(reverse("admin:campaign_screening_changelist"))
    assert "export_door_list" not in response.content.decode()


def test_the_next_try_is_shown_only_for_an_email_waiting_for_a_retry(admin_client):
    later = timezone.now() + dt.timedelta(minutes=5)
    sent = Email.objects.create(kind=Email.Kind.CONFIRMATION, to="sent@example.com", status=Email.Status.SENT)
    first = Email.objects.create(kind=Email.Kind.CONFIRMATION, to="new@example.com")  # not tried yet
    retry = Email.objects.create(
        kind=Email.Kind.CONFIRMATION, to="retry@example.com", attempts=2, next_attempt_at=later, last_error="timed out"
    )
    help_text = "Not tried again before this time."

    def page(email: Email) -> str:
        return admin_client.get(reverse("admin:campaign_email_change", args=[email.pk])).content.decode()

    assert help_text not in page(sent)
    assert help_text not in page(first)
    assert help_text in page(retry)
    rows = admin_client.get(reverse("admin:campaign_email_changelist")).context["cl"].result_list
    admin = admin_client.get(reverse("admin:campaign_email_changelist")).context["cl"].model_admin
    assert {email.to: admin.next_try(email) for email in rows} == {
        "sent@example.com": None,
        "new@example.com": None,
        "retry@example.com": later,
    }
