"""What staff see on the big lists: searches by shape, fixed-choice filters, capped counts."""

import pytest
from django.contrib import admin
from django.urls import reverse

from backoffice.campaign.admin.lists import CappedCountPaginator
from backoffice.campaign.admin.reservations import QuantityFilter
from backoffice.campaign.factories import AccessCodeFactory, ReservationFactory, TicketFactory
from backoffice.campaign.models import Reservation

pytestmark = pytest.mark.django_db

RESERVATIONS = reverse("admin:campaign_reservation_changelist")
CODES = reverse("admin:campaign_accesscode_changelist")
TICKETS = reverse("admin:campaign_ticket_changelist")


def shown(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.fixture
def bookings():
    wanted = ReservationFactory(
        name="Holly Ivy", email="holly.ivy@example.org", access_code=AccessCodeFactory(value="BCDF-2345-GHJK-6789")
    )
    other = ReservationFactory(name="Noel Frost", email="noel@example.org")
    return wanted, other


@pytest.mark.parametrize("term", ["BCDF-2345-GHJK-6789", " bcdf-2345-ghjk-6789 "])
def test_a_code_finds_its_booking_in_any_case(admin_client, bookings, term):
    assert shown(admin_client.get(RESERVATIONS, {"q": term})) == [bookings[0]]


def test_a_reference_finds_its_booking_in_any_case(admin_client, bookings):
    wanted = bookings[0]
    assert shown(admin_client.get(RESERVATIONS, {"q": wanted.reference.lower()})) == [wanted]


@pytest.mark.parametrize("term", ["holly", "Holly Ivy", "ivy@example", "HOLLY.IVY@EXAMPLE.ORG"])
def test_other_words_search_names_and_emails(admin_client, bookings, term):
    assert shown(admin_client.get(RESERVATIONS, {"q": term})) == [bookings[0]]


@pytest.mark.parametrize("term", ["Nobody", "ZZZZ-2345-GHJK-6789", "ZZZZ9999"])
def test_a_search_that_finds_nothing_says_so(admin_client, bookings, term):
    response = admin_client.get(RESERVATIONS, {"q": term})
    assert shown(response) == []
    assert "0 results" in response.content.decode()


def test_the_date_drill_down_is_left_out_while_searching(admin_client, bookings):
    assert 'class="toplinks"' in admin_client.get(RESERVATIONS).content.decode()
    assert 'class="toplinks"' not in admin_client.get(RESERVATIONS, {"q": "holly"}).content.decode()


def test_the_quantity_filter_offers_fixed_choices_and_finds_cancelled_bookings(admin_client):
    cancelled = ReservationFactory(quantity=0)
    ReservationFactory(quantity=2)
    response = admin_client.get(RESERVATIONS, {"quantity": "0"})
    assert shown(response) == [cancelled]
    assert "0 (cancelled)" in response.content.decode()


def test_an_unknown_filter_value_is_refused_like_any_bad_filter(admin_client):
    response = admin_client.get(RESERVATIONS, {"quantity": "7"})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_the_max_usages_filter_groups_five_and_more(admin_client):
    single = AccessCodeFactory(max_usages=1)
    many = [AccessCodeFactory(max_usages=5), AccessCodeFactory(max_usages=40)]
    assert shown(admin_client.get(CODES, {"max_usages": "1"})) == [single]
    assert sorted(shown(admin_client.get(CODES, {"max_usages": "5"})), key=lambda c: c.pk) == many


@pytest.fixture
def cap(monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 5)
    monkeypatch.setattr("backoffice.campaign.admin.access_codes.AccessCodeAdmin.list_per_page", 2)


def test_codes_are_counted_up_to_the_cap_and_the_page_says_more_than(admin_client, cap):
    AccessCodeFactory.create_batch(7)
    response = admin_client.get(CODES)
    page = response.content.decode()
    assert response.context["cl"].result_count == 5
    assert "More than 5 access codes" in page
    assert len(shown(admin_client.get(CODES, {"p": 3}))) == 1


def test_a_count_under_the_cap_is_exact(admin_client, cap):
    AccessCodeFactory.create_batch(4)
    response = admin_client.get(CODES, {"q": ""})
    assert "4 access codes" in response.content.decode()
    assert "More than" not in response.content.decode()


def test_a_search_past_the_cap_says_more_than(admin_client, cap):
    for n in range(7):
        AccessCodeFactory(value=f"BBBB-{n}222-3333-4444")
    assert "More than 5 results" in admin_client.get(CODES, {"q": "BBBB"}).content.decode()


def test_the_code_picker_pages_within_the_cap(admin_client, cap):
    AccessCodeFactory.create_batch(30)
    picker = {"app_label": "campaign", "model_name": "reservation", "field_name": "access_code"}
    answer = admin_client.get(reverse("admin:autocomplete"), picker).json()
    assert len(answer["results"]) == 5
    assert answer["pagination"] == {"more": False}


@pytest.fixture
def tickets():
    holder = ReservationFactory()
    held = [TicketFactory(code="XF-0001", reservation=holder), TicketFactory(code="XF-0002", reservation=holder)]
    TicketFactory(code="XF-0003")
    return holder, held


@pytest.mark.parametrize("term", ["XF-0001", "xf-0001"])
def test_a_ticket_code_finds_its_ticket(admin_client, tickets, term):
    assert shown(admin_client.get(TICKETS, {"q": term})) == [tickets[1][0]]


def test_a_reference_finds_the_tickets_it_holds(admin_client, tickets):
    holder, held = tickets
    assert shown(admin_client.get(TICKETS, {"q": holder.reference.lower()})) == held


def test_a_ticket_search_that_finds_nothing_says_so(admin_client, tickets):
    response = admin_client.get(TICKETS, {"q": "XF-9999"})
    assert shown(response) == []
    assert "0 results" in response.content.decode()


def test_fixed_choices_count_each_choice_when_counts_are_shown(rf, admin_user):
    ReservationFactory(quantity=0)
    ReservationFactory.create_batch(2, quantity=2)
    request = rf.get(RESERVATIONS)
    request.user = admin_user
    model_admin = admin.site.get_model_admin(Reservation)
    changelist = model_admin.get_changelist_instance(request)
    quantity = next(f for f in changelist.filter_specs if isinstance(f, QuantityFilter))
    counts = quantity.get_facet_queryset(changelist)
    # Active (1 or more), then 0 (cancelled), 1, 2, 3 and 4.
    assert counts == {"0__c": 2, "1__c": 1, "2__c": 0, "3__c": 2, "4__c": 0, "5__c": 0}


@pytest.mark.parametrize("changelist", [CODES, RESERVATIONS])
def test_the_biggest_lists_offer_no_counts_per_choice(admin_client, changelist):
    ReservationFactory(quantity=1, access_code=AccessCodeFactory(max_usages=1))
    response = admin_client.get(changelist, {"_facets": "True"})
    assert len(shown(response)) == 1
    page = response.content.decode()
    assert "Show counts" not in page
    assert "1 (1)" not in page
