"""The admin's ways out of a booking: no deletion, bulk cancel and move, cancelling a screening, by role."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from backoffice.campaign.admin.bulk_bookings import REPORT_LINES
from backoffice.campaign.factories import CinemaFactory, FilmFactory, TicketFactory
from backoffice.campaign.models import Email, Reservation, Screening, Ticket
from backoffice.campaign.tests.booking_support import assert_invariants, booked, screening_of, state
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:campaign_reservation_changelist")


@pytest.fixture
def elf():
    film = FilmFactory(name="Elf")
    TicketFactory.create_batch(200, film=film)
    return film


@pytest.fixture
def york():
    return CinemaFactory(name="York - Vangarde")


@pytest.fixture
def staff(django_user_model):
    def make(role: str):
        user = django_user_model.objects.create_user(role.lower().replace(" ", "-"), password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return django_user_model.objects.get(pk=user.pk)

    return make


def selected(*reservations: Reservation) -> dict:
    return {"_selected_action": [r.pk for r in reservations]}


# --- no deletion ------------------------------------------------------------------------------


def test_no_admin_url_or_action_deletes_a_reservation_even_for_a_superuser(admin_client, elf, york):
    reservation = booked(screening_of(elf, york))
    delete_url = reverse("admin:campaign_reservation_delete", args=[reservation.pk])

    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    page = admin_client.get(CHANGELIST)
    actions = [value for value, _ in page.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert {"cancel_reservations", "move_reservations"} <= set(actions)
    admin_client.post(CHANGELIST, {"action": "delete_selected", "post": "yes", **selected(reservation)})
    change = admin_client.get(reverse("admin:campaign_reservation_change", args=[reservation.pk]))
    assert delete_url not in change.content.decode()
    # Nor by deleting what it hangs on: its screening and its access code are protected.
    for model, pk in (("screening", reservation.screening_id), ("accesscode", reservation.access_code_id)):
        admin_client.post(reverse(f"admin:campaign_{model}_delete", args=[pk]), {"post": "yes"})
        changelist = reverse(f"admin:campaign_{model}_changelist")
        admin_client.post(changelist, {"action": "delete_selected", "post": "yes", "_selected_action": [pk]})
    assert Reservation.objects.filter(pk=reservation.pk, quantity=2).exists()


# --- bulk cancel ------------------------------------------------------------------------------


def test_bulk_cancel_asks_first_with_counts_in_words_then_cancels_with_one_email_each(admin_client, elf, york):
    screening = screening_of(elf, york)
    chosen = [booked(screening, 1), booked(screening, 3), booked(screening, 3)]
    before = state()

    confirm = admin_client.post(CHANGELIST, {"action": "cancel_reservations", **selected(*chosen)})

    assert confirm.status_code == 200
    assert "Cancel <strong>3 bookings, 7 seats, 3 customers</strong>?" in confirm.content.decode()
    assert state() == before, "asking changed something"
    done = admin_client.post(
        CHANGELIST, {"action": "cancel_reservations", "post": "yes", **selected(*chosen)}, follow=True
    )
    assert "Cancelled 3 bookings, 7 seats, 3 customers" in done.content.decode()
    assert not Reservation.objects.filter(quantity__gt=0).exists()
    assert sorted(Email.objects.filter(kind=Email.Kind.CANCELLATION).values_list("reservation", flat=True)) == sorted(
        r.pk for r in chosen
    )
    assert_invariants(Ticket.objects.count())


def test_bulk_cancel_of_all_across_pages_carries_the_filter_not_a_list_of_rows(admin_client, elf, york):
    wonka = FilmFactory(name="Wonka")
    TicketFactory.create_batch(5, film=wonka)
    chosen = [booked(screening_of(elf, york, day=day), 1) for day in (12, 13, 14)]
    kept = booked(screening_of(wonka, york), 1)
    filtered = f"{CHANGELIST}?screening__film__id__exact={elf.pk}"
    across = {"action": "cancel_reservations", "select_across": "1", **selected(chosen[0])}

    confirm = admin_client.post(filtered, across)

    html = confirm.content.decode()
    assert "3 bookings, 3 seats, 3 customers" in html
    assert 'name="select_across" value="1"' in html
    assert 'name="_selected_action"' not in html
    admin_client.post(filtered, {**across, "post": "yes"})
    assert set(Reservation.objects.filter(quantity=0).values_list("pk", flat=True)) == {r.pk for r in chosen}
    assert Reservation.objects.get(pk=kept.pk).quantity == 1


# --- bulk move --------------------------------------------------------------------------------


def test_bulk_move_offers_the_screening_picker_then_moves_with_one_update_each(admin_client, elf, york):
    source, target = screening_of(elf, york), screening_of(elf, york, day=13)
    chosen = [booked(source, 2), booked(source, 1)]

    form = admin_client.post(CHANGELIST, {"action": "move_reservations", **selected(*chosen)})

    html = form.content.decode()
    assert "Move <strong>2 bookings, 3 seats, 2 customers</strong>" in html
    assert 'data-model-name="reservation"' in html
    assert 'data-field-name="screening"' in html  # the reservation form's autocomplete
    done = admin_client.post(
        CHANGELIST,
        {"action": "move_reservations", "post": "yes", "screening": target.pk, **selected(*chosen)},
        follow=True,
    )
    assert f"Moved 2 bookings, 3 seats, 2 customers to {target}" in done.content.decode()
    assert set(target.reservations.values_list("pk", flat=True)) == {r.pk for r in chosen}
    assert Email.objects.filter(kind=Email.Kind.UPDATE).count() == 2


def test_a_bulk_move_that_does_not_fit_shows_a_bounded_report_and_changes_nothing(admin_client, elf, york):
    source, target = screening_of(elf, york, capacity=100), screening_of(elf, york, day=13, capacity=1)
    chosen = [booked(source, 1) for _ in range(REPORT_LINES + 8)]
    before, outbox = state(), Email.objects.count()

    page = admin_client.post(
        CHANGELIST, {"action": "move_reservations", "post": "yes", "screening": target.pk, **selected(*chosen)}
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert f"{REPORT_LINES + 7} bookings of {REPORT_LINES + 8:,} would not fit on {target}" in html
    assert html.count("No seats left for") == REPORT_LINES
    assert "and 7 more." in html
    assert state() == before
    assert Email.objects.count() == outbox


def test_a_bulk_move_without_a_screening_asks_for_one(admin_client, elf, york):
    reservation = booked(screening_of(elf, york))
    page = admin_client.post(CHANGELIST, {"action": "move_reservations", "post": "yes", **selected(reservation)})
    assert "This field is required." in page.content.decode()
    assert Reservation.objects.get(pk=reservation.pk).screening_id == reservation.screening_id


# --- cancel a screening -----------------------------------------------------------------------


def cancel_url(screening: Screening) -> str:
    return reverse("admin:campaign_screening_cancel", args=[screening.pk])


def test_the_screening_page_offers_cancel_and_the_form_counts_its_bookings(admin_client, elf, york):
    screening = screening_of(elf, york)
    booked(screening, 2), booked(screening, 4)

    change = admin_client.get(reverse("admin:campaign_screening_change", args=[screening.pk]))
    assert cancel_url(screening) in change.content.decode()
    form = admin_client.get(cancel_url(screening))
    assert "This screening has <strong>2 bookings, 6 seats, 2 customers</strong>" in form.content.decode()


def test_cancelling_a_screening_with_50_bookings_moves_them_all(admin_client, elf, york):
    screening, target = screening_of(elf, york), screening_of(elf, york, day=13, capacity=120)
    for n in range(50):
        booked(screening, n % 2 + 1)

    done = admin_client.post(
        cancel_url(screening), {"reason": "Snow.", "bookings": "move", "move_to": target.pk}, follow=True
    )

    assert "moved 50 bookings, 75 seats, 50 customers to" in done.content.decode()
    assert target.reservations.filter(quantity__gt=0).count() == 50
    assert Email.objects.filter(kind=Email.Kind.SCREENING_CANCELLED).count() == 50
    screening.refresh_from_db()
    assert screening.is_cancelled
    assert screening.cancelled_by.is_superuser
    page = admin_client.get(reverse("admin:campaign_screening_change", args=[screening.pk]))
    assert "Cancelled" in page.content.decode()
    assert cancel_url(screening) not in page.content.decode()
    assert admin_client.get(reverse("admin:campaign_screening_delete", args=[screening.pk])).status_code == 403
    history = admin_client.get(reverse("admin:campaign_screening_history", args=[screening.pk]))
    assert "Cancelled: Snow." in history.content.decode()
    assert_invariants(Ticket.objects.count())


def test_cancelling_a_screening_can_cancel_every_booking(admin_client, elf, york):
    screening = screening_of(elf, york)
    chosen = [booked(screening, 1), booked(screening, 2)]
    admin_client.post(cancel_url(screening), {"reason": "Snow.", "bookings": "cancel"})
    assert not Reservation.objects.filter(pk__in=[r.pk for r in chosen], quantity__gt=0).exists()
    assert Email.objects.filter(kind=Email.Kind.SCREENING_CANCELLED).count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "", "bookings": "cancel"}, "This field is required."),
        ({"reason": "Snow.", "bookings": "move"}, "Choose the screening to move the bookings to."),
        ({"reason": "Snow\x1c.", "bookings": "cancel"}, "This text contains"),
    ],
)
def test_a_screening_cancellation_form_with_a_gap_says_what_is_missing(admin_client, elf, york, data, message):
    screening = screening_of(elf, york)
    booked(screening)
    page = admin_client.post(cancel_url(screening), data)
    assert message in page.content.decode()
    assert not Screening.objects.get(pk=screening.pk).is_cancelled


@pytest.mark.parametrize(
    ("role", "may_rebook", "may_cancel_screening"),
    [("Booking agent", True, False), ("Campaign manager", True, True), ("Data manager", False, False)],
)
def test_who_may_cancel_and_move_bookings_and_cancel_screenings(
    client, staff, elf, york, role, may_rebook, may_cancel_screening
):
    verified_login(client, staff(role))
    screening = screening_of(elf, york)
    reservation = booked(screening)

    client.post(CHANGELIST, {"action": "cancel_reservations", "post": "yes", **selected(reservation)})
    assert (Reservation.objects.get(pk=reservation.pk).quantity == 0) is may_rebook
    assert (client.get(cancel_url(screening)).status_code == 200) is may_cancel_screening
    client.post(cancel_url(screening), {"reason": "Snow.", "bookings": "cancel"})
    assert Screening.objects.get(pk=screening.pk).is_cancelled is may_cancel_screening
