"""What staff see on the big lists: searches by shape, fixed-choice filters, capped counts, date drill-downs."""

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.admin.lists import CappedCountPaginator
from backoffice.campaign.admin.reservations import QuantityFilter
from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import LONDON, Reservation

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


def test_a_whole_email_address_is_matched_whole_not_as_a_word(admin_client, bookings):
    # "ivy@example.org" ends "holly.ivy@example.org", but a whole address names one person.
    assert shown(admin_client.get(RESERVATIONS, {"q": "ivy@example.org"})) == []
    assert shown(admin_client.get(RESERVATIONS, {"q": " Noel@Example.ORG "})) == [bookings[1]]


def booked_on(*days: dt.date) -> list[Reservation]:
    """A booking made at noon (London) on each day, its created_at set as bookings set it."""
    made = []
    for day in days:
        reservation = ReservationFactory()
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(12)), LONDON)
        Reservation.objects.filter(pk=reservation.pk).update(created_at=at)
        made.append(reservation)
    return made


def date_links(response) -> list[str]:
    page = response.content.decode()
    start = page.index('class="toplinks"')
    return re.findall(r"<a href=\"\?[^\"]*\">([^<]+)</a>", page[start : page.index("</nav>", start)])


def test_the_drill_down_lists_the_days_from_the_first_booking_to_the_last(admin_client, settings):
    settings.TIME_ZONE = "Europe/London"
    booked_on(dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 4))
    response = admin_client.get(RESERVATIONS, {"created_at__year": 2026, "created_at__month": 12})
    # 3 December has no booking: listed all the same, it opens an empty page. Read from the first
    # and last bookings alone, rather than every booking's day sorted.
    assert date_links(response) == ["1 December", "2 December", "3 December", "4 December"]
    assert len(shown(response)) == 3


def test_the_drill_down_starts_at_the_months_of_a_year_and_the_years_of_a_campaign(admin_client, settings):
    settings.TIME_ZONE = "Europe/London"
    booked_on(dt.date(2026, 11, 30), dt.date(2026, 12, 1))
    assert date_links(admin_client.get(RESERVATIONS)) == ["November 2026", "December 2026"]
    booked_on(dt.date(2027, 1, 2))
    assert date_links(admin_client.get(RESERVATIONS)) == ["2026", "2027"]
    assert date_links(admin_client.get(RESERVATIONS, {"created_at__year": 2027})) == ["January 2027"]


def test_the_drill_down_of_no_bookings_is_empty(admin_client):
    response = admin_client.get(RESERVATIONS, {"created_at__year": 2026, "created_at__month": 12})
    assert shown(response) == []


def test_reservations_are_counted_up_to_the_cap(admin_client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    ReservationFactory.create_batch(4)
    response = admin_client.get(RESERVATIONS)
    assert response.context["cl"].result_count == 3
    assert "More than 3 reservations" in response.content.decode()


def test_tickets_are_counted_up_to_the_cap(admin_client, tickets, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 2)
    response = admin_client.get(TICKETS)
    assert response.context["cl"].result_count == 2
    assert "More than 2 tickets" in response.content.decode()


def test_the_ticket_list_offers_no_counts_per_film(admin_client, tickets):
    response = admin_client.get(TICKETS, {"_facets": "True"})
    assert len(shown(response)) == 3
    page = response.content.decode()
    assert "Show counts" not in page
    assert "(3)" not in page
    assert "(1)" not in page


SCREENINGS = reverse("admin:campaign_screening_changelist")


def test_screening_counts_per_film_cinema_and_sold_out_are_those_of_each_choice(admin_client):
    elf, holiday = FilmFactory(name="Elf"), FilmFactory(name="The Holiday")
    leeds, york = CinemaFactory(name="Leeds - Kirkstall"), CinemaFactory(name="York - Vangarde")
    full = ScreeningFactory(film=elf, cinema=leeds, capacity=2)
    ReservationFactory(screening=full, quantity=2)
    ScreeningFactory(film=elf, cinema=york, capacity=5)
    ScreeningFactory(film=holiday, cinema=york, capacity=5)
    ScreeningFactory(film=holiday, cinema=york, capacity=5, cancelled_at=timezone.now())
    page = admin_client.get(SCREENINGS, {"_facets": "True"}).content.decode()
    for choice in ("Elf (2)", "The Holiday (2)", "Leeds - Kirkstall (1)", "York - Vangarde (3)", "Yes (1)", "No (2)"):
        assert choice in page, choice
    # Counts within the other filters: the cinema's, for Elf's screenings only.
    page = admin_client.get(SCREENINGS, {"_facets": "True", "film__id__exact": elf.pk}).content.decode()
    assert "York - Vangarde (1)" in page
    assert "Yes (1)" in page
    assert "No (1)" in page


def test_the_screening_drill_down_is_left_out_while_searching(admin_client):
    ScreeningFactory()
    assert 'class="toplinks"' in admin_client.get(SCREENINGS).content.decode()
    assert 'class="toplinks"' not in admin_client.get(SCREENINGS, {"q": "town"}).content.decode()


def test_the_capped_count_does_not_sort_the_rows_it_counts(admin_client):
    # Unordered, a filtered count is free to find its rows without walking the list's order.
    ReservationFactory.create_batch(2)
    with CaptureQueriesContext(connection) as captured:
        admin_client.get(RESERVATIONS, {"quantity": "2"})
    [count] = [q["sql"] for q in captured if q["sql"].startswith("SELECT COUNT(*) FROM (SELECT")]
    assert "LIMIT 10001" in count
    assert "ORDER BY" not in count


def test_the_drill_down_reads_the_first_and_last_dates_once(admin_client):
    booked_on(dt.date(2026, 11, 30), dt.date(2026, 12, 1))
    with CaptureQueriesContext(connection) as captured:
        admin_client.get(RESERVATIONS)
    spans = [q["sql"] for q in captured if 'MIN("campaign_reservation"."created_at")' in q["sql"]]
    assert len(spans) == 1
    assert not [q["sql"] for q in captured if "DISTINCT" in q["sql"]]


FILMS = reverse("admin:campaign_film_changelist")


def test_the_films_list_reads_each_films_tickets_from_the_kept_counts(admin_client):
    elf, carol = FilmFactory(name="Elf"), FilmFactory(name="A Christmas Carol")
    FilmFactory(name="Muppets")  # no tickets at all
    holder = ReservationFactory(screening=ScreeningFactory(film=elf), quantity=2)
    TicketFactory.create_batch(2, film=elf, reservation=holder)
    TicketFactory(film=elf, issued_at=timezone.now())  # its code went out, then came back: void
    TicketFactory.create_batch(3, film=elf)
    TicketFactory(film=carol)
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(FILMS)
    stock = {f.name: (f.tickets_free, f.tickets_held, f.tickets_void) for f in response.context["cl"].result_list}
    assert stock == {"A Christmas Carol": (1, 0, 0), "Elf": (3, 2, 1), "Muppets": (0, 0, 0)}
    # Free tickets (the Stock column's), then held and void: the films' counts (TicketCount),
    # never the tickets themselves.
    assert len([q for q in captured if 'FROM "campaign_ticketcount"' in q["sql"]]) == 2
    assert not [q for q in captured if 'FROM "campaign_ticket"' in q["sql"]]
