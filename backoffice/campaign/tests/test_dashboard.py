"""The dashboard on the admin's front page: each figure against a count made here, row by row."""

import csv
import datetime as dt
import io
from collections import Counter, defaultdict

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
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
from backoffice.campaign.models import (
    LONDON,
    AccessCode,
    AccessCodeBatch,
    CampaignContact,
    Cinema,
    DataRun,
    Email,
    Reservation,
    RunStatus,
    Screening,
    Ticket,
)
from backoffice.campaign.querysets import booking_cutoff
from backoffice.campaign.services import campaign_report, dashboard
from backoffice.campaign.services.dashboard import dashboard_compute, dashboard_get
from backoffice.campaign.services.ticket_stock import TicketStock, film_ticket_stock
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
SHORT = '<span class="seat-status seat-status--low">Short</span>'


@pytest.fixture(autouse=True)
def _fresh_figures():
    """Each test computes its own figures: none cached by an earlier test."""
    cache.delete_many([dashboard.CACHE_KEY, campaign_report.CACHE_KEY])
    yield
    cache.delete_many([dashboard.CACHE_KEY, campaign_report.CACHE_KEY])


def book(screening, quantity, *, days_ago=0, code=None) -> Reservation:
    reservation = ReservationFactory(screening=screening, quantity=quantity, **({"access_code": code} if code else {}))
    if days_ago:
        Reservation.objects.filter(pk=reservation.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
    return reservation


@pytest.fixture
def campaign():
    """Two films at three cinemas: a past screening, a sold-out one, one past its cut-off,
    bookings over ten days (one cancelled), free tickets for one film only, emails and runs."""
    now = timezone.now()
    elf, carol = FilmFactory(name="Elf"), FilmFactory(name="A Christmas Carol")
    cinemas = [CinemaFactory(name=f"Town {n} - High Street") for n in range(3)]
    past = ScreeningFactory(film=elf, cinema=cinemas[0], starts_at=now - dt.timedelta(days=2), capacity=6)
    full = ScreeningFactory(film=elf, cinema=cinemas[1], starts_at=now + dt.timedelta(days=1), capacity=4)
    closing = ScreeningFactory(film=carol, cinema=cinemas[2], starts_at=now + dt.timedelta(minutes=30), capacity=5)
    open_elf = ScreeningFactory(film=elf, cinema=cinemas[2], starts_at=now + dt.timedelta(days=3), capacity=10)
    open_carol = ScreeningFactory(film=carol, cinema=cinemas[0], starts_at=now + dt.timedelta(days=3), capacity=8)
    ScreeningFactory(film=carol, cinema=cinemas[1], starts_at=now + dt.timedelta(days=4), capacity=0)

    batch = AccessCodeBatch.objects.create(requested_count=3, created_count=3, status=AccessCodeBatch.Status.COMPLETED)
    batch_codes = [AccessCodeFactory(batch=batch, max_usages=2) for _ in range(3)]
    book(past, 3, days_ago=9, code=batch_codes[0])
    book(full, 4, days_ago=1, code=batch_codes[0])
    book(full, 0, days_ago=1, code=batch_codes[1])  # cancelled
    book(closing, 2)
    book(open_elf, 1, days_ago=3)
    book(open_carol, 2)
    AccessCodeFactory.create_batch(4)  # issued, never used
    AccessCode.objects.filter(pk__in=[batch_codes[2].pk, batch_codes[1].pk]).update(blocked_at=now)  # withdrawn
    TicketFactory.create_batch(5, film=elf)
    TicketFactory(film=elf, issued_at=now)  # void: its code went out, it is never handed out again
    TicketFactory(film=carol, reservation=Reservation.objects.filter(screening=open_carol).first())

    for status, count in ((Email.Status.QUEUED, 3), (Email.Status.FAILED, 2), (Email.Status.SENT, 4)):
        for n in range(count):
            Email.objects.create(kind=Email.Kind.CONFIRMATION, to=f"{status}{n}@example.com", status=status)
    for status in (AccessCodeBatch.Status.QUEUED, AccessCodeBatch.Status.RUNNING, AccessCodeBatch.Status.FAILED):
        AccessCodeBatch.objects.create(requested_count=10, status=status)
    tickets = ContentType.objects.get_for_model(Ticket)
    for status in (RunStatus.RUNNING, RunStatus.COMPLETED):
        DataRun.objects.create(kind=DataRun.Kind.EXPORT, content_type=tickets, status=status)
    return {"films": [elf, carol], "cinemas": cinemas}


def figures(board) -> dict[str, int | str]:
    """Each figure's value: counts as numbers, percentages as shown."""
    values = {figure.key: figure.value.replace(",", "") for figure in board.figures}
    return {key: int(value) if value.isdigit() else value for key, value in values.items()}


def reserved_by_screening() -> Counter:
    reserved = Counter()
    for reservation in Reservation.objects.all():
        reserved[reservation.screening_id] += reservation.quantity
    return reserved


def test_each_figure_equals_a_count_made_row_by_row(campaign):
    board = dashboard_compute()
    now = timezone.now()
    today = timezone.localtime(now, LONDON).date()
    reservations = list(Reservation.objects.all())
    screenings = list(Screening.objects.all())
    reserved = reserved_by_screening()
    free_films = {t.film_id for t in Ticket.objects.all() if t.reservation_id is None and t.issued_at is None}
    upcoming = [s for s in screenings if s.starts_at >= now]
    cutoff = now + booking_cutoff()
    bookable_with_seats = [s for s in screenings if s.starts_at > cutoff and reserved[s.pk] < s.capacity]
    seats = sum(r.quantity for r in reservations)
    capacity = sum(s.capacity for s in screenings)
    monday = today - dt.timedelta(days=today.weekday())

    assert figures(board) == {
        "seats": seats,
        "sold": f"{100 * seats / capacity:.1f}%",
        "today": sum(timezone.localtime(r.created_at, LONDON).date() == today for r in reservations),
        "week": sum(timezone.localtime(r.created_at, LONDON).date() >= monday for r in reservations),
        "sold_out": sum(reserved[s.pk] >= s.capacity for s in upcoming),
        "unbookable": sum(s.film_id not in free_films for s in bookable_with_seats),
        "codes_issued": len(AccessCode.objects.all()),
        "codes_used": len({r.access_code_id for r in reservations if r.quantity > 0}),
        "codes_blocked": sum(code.blocked_at is not None for code in AccessCode.objects.all()),
        "emails_waiting": sum(e.status == "queued" for e in Email.objects.all()),
        "emails_failed": sum(e.status == "failed" for e in Email.objects.all()),
        "runs": sum(
            run.status in {"queued", "running"} for run in [*AccessCodeBatch.objects.all(), *DataRun.objects.all()]
        ),
    }
    # The arrangement exercises every figure: none of them matches by being zero.
    counted = figures(board)
    del counted["week"]  # depends on the weekday the test runs
    assert counted == {
        "seats": 12,
        "sold": "36.4%",
        "today": 2,
        "sold_out": 2,  # the full screening, and the one offering no seats
        "unbookable": 1,  # Carol's open screening: Carol's one ticket is held
        "codes_issued": 10,
        "codes_used": 4,
        "codes_blocked": 2,
        "emails_waiting": 3,
        "emails_failed": 2,
        "runs": 3,
    }


def test_each_chart_equals_a_count_made_row_by_row(campaign):
    board = dashboard_compute()
    now = timezone.now()
    today = timezone.localtime(now, LONDON).date()
    screenings = list(Screening.objects.select_related("film", "cinema"))
    reserved = reserved_by_screening()

    per_day = Counter(timezone.localtime(r.created_at, LONDON).date() for r in Reservation.objects.all())
    first = min(per_day)
    days = [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]
    assert board.chart("bookings-per-day").rows == tuple((f"{d:%a %-d %b}", per_day[d]) for d in days)

    offered, booked = Counter(), Counter()
    for s in screenings:
        offered[s.film.name] += s.capacity
        booked[s.film.name] += reserved[s.pk]
    assert board.chart("sell-through-per-film").rows == tuple(
        (name, round(100 * booked[name] / offered[name], 1), booked[name], offered[name]) for name in sorted(offered)
    )

    cinemas = defaultdict(lambda: [0, 0])
    for s in screenings:
        if s.starts_at > now + booking_cutoff():
            cinemas[s.cinema.name][0] += s.capacity
            cinemas[s.cinema.name][1] += reserved[s.pk]
    ranked = sorted(
        ((name, c, b) for name, (c, b) in cinemas.items() if c > b),
        key=lambda row: (-row[2] / row[1], row[1] - row[2], row[0]),
    )
    assert board.chart("cinemas-closest-to-selling-out").rows == tuple(
        (name, round(100 * b / c, 1), c - b) for name, c, b in ranked[:10]
    )

    ahead = defaultdict(lambda: [0, 0])
    for s in screenings:
        if s.starts_at >= now:
            day = timezone.localtime(s.starts_at, LONDON).date()
            ahead[day][0] += reserved[s.pk] >= s.capacity
            ahead[day][1] += 1
    assert board.chart("sold-out-per-day").rows == tuple(
        (f"{day:%a %-d %b}", *counts) for day, counts in sorted(ahead.items())
    )

    stock = {row.film: (row.stock.tickets_free, row.stock.seats_offered, row.open_screenings) for row in board.stock}
    assert stock == {"Elf": (5, 9, 1), "A Christmas Carol": (0, 6, 1)}


def test_a_film_is_short_of_tickets_when_its_free_ones_are_fewer_than_its_seats_still_offered(admin_client):
    now, later = timezone.now(), timezone.now() + dt.timedelta(days=2)
    wonka, elf = FilmFactory(name="Wonka"), FilmFactory(name="Elf")
    showing = ScreeningFactory(film=wonka, starts_at=later, capacity=40)
    book(showing, 3)  # 37 seats still offered
    # Seats no booking can take: past the cut-off, cancelled, over.
    ScreeningFactory(film=wonka, starts_at=now + dt.timedelta(minutes=30), capacity=500)
    ScreeningFactory(film=wonka, starts_at=later, capacity=500, cancelled_at=now)
    ScreeningFactory(film=wonka, starts_at=now - dt.timedelta(days=1), capacity=500)
    TicketFactory.create_batch(36, film=wonka)  # well above any fixed threshold, one short of the seats
    TicketFactory(film=wonka, issued_at=now)  # void: never handed out again
    ScreeningFactory(film=elf, starts_at=later, capacity=10)
    TicketFactory.create_batch(10, film=elf)  # exactly enough

    assert film_ticket_stock() == {
        wonka.pk: TicketStock(tickets_free=36, seats_offered=37),
        elf.pk: TicketStock(tickets_free=10, seats_offered=10),
    }

    def flagged() -> tuple[set[str], set[str]]:
        """The films flagged short on the dashboard, and on the films list."""
        cache.delete(dashboard.CACHE_KEY)
        board = {row.film for row in admin_client.get(INDEX).context["dashboard_stock"] if row.stock.short}
        films = admin_client.get(reverse("admin:campaign_film_changelist"))
        listed = {film.name for film in films.context["cl"].result_list if film.ticket_stock.short}
        assert films.content.decode().count(SHORT) == len(listed)  # said in words on each flagged row
        return board, listed

    assert flagged() == ({"Wonka"}, {"Wonka"})
    films = admin_client.get(reverse("admin:campaign_film_changelist")).content.decode()
    assert f"{SHORT} 37 seats offered" in films
    TicketFactory(film=wonka)
    assert flagged() == (set(), set())


def test_the_films_list_reads_its_ticket_stock_in_a_fixed_number_of_queries(admin_client):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse("admin:campaign_film_changelist")).status_code == 200
        return len(captured)

    for _ in range(2):
        ScreeningFactory(film=FilmFactory(), capacity=5)
    list_queries()  # per-process caches filled
    few = list_queries()
    for _ in range(8):
        film = FilmFactory()
        ScreeningFactory(film=film, capacity=5)
        TicketFactory(film=film)
    assert list_queries() == few


def test_the_page_runs_the_same_queries_on_a_small_and_a_large_campaign(admin_client, campaign):
    def page_queries() -> int:
        cache.delete(dashboard.CACHE_KEY)
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(INDEX)
        assert response.status_code == 200
        assert "Seats booked" in response.content.decode()
        return len(captured)

    admin_client.get(INDEX)  # per-process caches (content types, the theme) filled
    small = page_queries()
    films = FilmFactory.create_batch(3)
    cinemas = CinemaFactory.create_batch(6)
    for i in range(60):
        screening = ScreeningFactory(film=films[i % 3], cinema=cinemas[i % 6], capacity=4)
        book(screening, 1 + i % 4, days_ago=i % 20)
        TicketFactory(film=films[i % 3])
    assert page_queries() == small


def test_figures_are_cached_and_a_booking_does_not_clear_them(campaign, django_assert_num_queries):
    first = dashboard_get()
    book(Screening.objects.filter(capacity=10).get(), 1)
    with django_assert_num_queries(0):
        again = dashboard_get()
    assert again.figures == first.figures
    cache.delete(dashboard.CACHE_KEY)  # as when the minute is up
    assert figures(dashboard_get())["seats"] == figures(first)["seats"] + 1


def test_a_cache_that_is_down_costs_the_figures_nothing(campaign, settings, caplog):
    # Nothing listens on port 1: every cache read and write fails at once.
    down = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1"}
    settings.CACHES = {**settings.CACHES, "default": down}
    assert figures(dashboard_get()) == figures(dashboard_compute())
    assert campaign_report.campaign_report_get().rows == campaign_report.campaign_report_compute().rows
    assert "Cache unreachable" in caplog.text


def staff_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user("holly", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="campaign", codename__in=codenames))
    return django_user_model.objects.get(pk=user.pk)


def test_without_view_permission_on_reservations_no_booking_figure_is_shown(client, campaign, django_user_model):
    verified_login(client, staff_with(django_user_model, "view_screening", "view_email"))
    page = client.get(INDEX)
    html = page.content.decode()
    shown = {figure.key for figure in page.context["dashboard_figures"]}
    assert shown == {"sold_out", "emails_waiting", "emails_failed"}
    assert [item["chart"].key for item in page.context["dashboard_charts"]] == ["sold-out-per-day"]
    for words in ("Seats booked", "Bookings today", "Bookings this week", "Bookings per day", "Sell-through", "Sold</"):
        assert words not in html
    assert client.get(reverse("admin:campaign_dashboard_csv", args=["bookings-per-day"])).status_code == 403
    assert client.get(reverse("admin:campaign_dashboard_csv", args=["sold-out-per-day"])).status_code == 200
    assert client.get(reverse("admin:campaign_report")).status_code == 403


def test_a_booking_agent_sees_bookings_but_no_codes_or_runs(client, campaign, django_user_model):
    from django.contrib.auth.models import Group

    agent = django_user_model.objects.create_user("agent", password="pw", is_staff=True)
    agent.groups.add(Group.objects.get(name="Booking agent"))
    client.force_login(agent)
    shown = {figure.key for figure in client.get(INDEX).context["dashboard_figures"]}
    assert {"seats", "sold", "today", "week", "sold_out", "unbookable"} <= shown
    assert not shown & {"codes_issued", "codes_used", "runs"}


def test_staff_without_campaign_permissions_see_the_index_as_before(client, django_user_model):
    verified_login(client, staff_with(django_user_model))
    page = client.get(INDEX)
    assert page.status_code == 200
    assert "dashboard" not in page.context
    assert "The campaign at a glance" not in page.content.decode()


def result_count(admin_client, link: str) -> int:
    response = admin_client.get(link)
    assert response.status_code == 200, link  # an unknown filter redirects with ?e=1
    return response.context["cl"].result_count


def test_every_link_opens_its_list_filtered_to_what_it_counts(admin_client, campaign):
    board = dashboard_compute()
    counted = figures(board)
    links = {figure.key: figure.link for figure in board.figures}
    assert result_count(admin_client, links["today"]) == counted["today"]
    assert result_count(admin_client, links["week"]) == counted["week"]
    assert result_count(admin_client, links["sold_out"]) == counted["sold_out"]
    assert result_count(admin_client, links["unbookable"]) == counted["unbookable"]
    assert result_count(admin_client, links["emails_waiting"]) == counted["emails_waiting"]
    assert result_count(admin_client, links["emails_failed"]) == counted["emails_failed"]
    runs = admin_client.get(links["runs"]).context["rows"]
    assert sum(run["state"].startswith(("Queued", "Running")) for run in runs) == counted["runs"]
    assert result_count(admin_client, links["codes_issued"]) == counted["codes_issued"]
    assert result_count(admin_client, links["codes_blocked"]) == counted["codes_blocked"]

    per_day = board.chart("bookings-per-day")
    assert result_count(admin_client, per_day.link) == Reservation.objects.count()
    assert [result_count(admin_client, link) for link in per_day.row_links] == [row[1] for row in per_day.rows]
    films = board.chart("sell-through-per-film")
    assert result_count(admin_client, films.link) == Screening.objects.count()
    for link, film in zip(films.row_links, campaign["films"][::-1], strict=True):
        assert result_count(admin_client, link) == Screening.objects.filter(film=film).count()
    sold_out = board.chart("sold-out-per-day")
    assert [result_count(admin_client, link) for link in sold_out.row_links] == [row[1] for row in sold_out.rows]
    assert result_count(admin_client, sold_out.link) == counted["sold_out"]
    cinemas = board.chart("cinemas-closest-to-selling-out")
    assert result_count(admin_client, cinemas.link) == 2  # Elf at Town 2, Carol at Town 0
    # The seats booked are those of the active bookings the list shows, cancelled ones left out.
    active = Reservation.objects.filter(quantity__gt=0)
    assert result_count(admin_client, links["seats"]) == active.count() == 5
    assert sum(active.values_list("quantity", flat=True)) == counted["seats"]
    seats = next(figure for figure in board.figures if figure.key == "seats")
    assert seats.detail == "of 33 seats offered, in 5 bookings"
    # Elf's free tickets, its void one left out.
    assert [(row.film, result_count(admin_client, row.link)) for row in board.stock] == [
        ("A Christmas Carol", 0),
        ("Elf", 5),
    ]


def test_each_chart_downloads_its_numbers_as_csv_with_formulas_escaped(admin_client, campaign):
    cinema = campaign["cinemas"][2]
    cinema.name = "=HYPERLINK(1)"
    cinema.save(update_fields=["name"])
    board = dashboard_get()
    for chart in board.charts:
        response = admin_client.get(reverse("admin:campaign_dashboard_csv", args=[chart.key]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == list(chart.columns)
        assert len(rows) == len(chart.rows) + 1
    cinemas = admin_client.get(reverse("admin:campaign_dashboard_csv", args=["cinemas-closest-to-selling-out"]))
    assert "'=HYPERLINK(1)" in cinemas.content.decode()
    missing = admin_client.get(reverse("admin:campaign_dashboard_csv", args=["nothing-here"]))
    assert missing.status_code == 404


def test_the_index_shows_each_chart_with_its_table_and_links(admin_client, campaign):
    page = admin_client.get(INDEX)
    html = page.content.decode()
    drawn = {item["chart"].key: item["data"] for item in page.context["dashboard_charts"]}
    sold_out = drawn["sold-out-per-day"]
    assert [series["label"] for series in sold_out["series"]] == ["Sold out", "Screenings"]
    assert sold_out["links"] == list(page.context["dashboard"].chart("sold-out-per-day").row_links)
    assert [series["label"] for series in drawn["sell-through-per-film"]["series"]] == ["% sold"]
    for key in ("bookings-per-day", "sell-through-per-film", "cinemas-closest-to-selling-out", "sold-out-per-day"):
        assert f'id="chart-{key}" type="application/json"' in html
        assert reverse("admin:campaign_dashboard_csv", args=[key]) in html
    assert html.count('<div class="visually-hidden"><table>') == 4
    assert "campaign/admin/dashboard.js" in html


def test_an_empty_campaign_shows_zeros_and_empty_charts(admin_client):
    page = admin_client.get(INDEX)
    assert page.status_code == 200
    assert "Nothing to show yet." in page.content.decode()
    assert figures(page.context["dashboard"])["seats"] == 0


# Warnings: door lists with nowhere to go, a contact never filled in


def notices(board) -> dict[str, str]:
    return {notice.key: notice.text for notice in board.notices}


def test_cinemas_with_screenings_to_come_and_no_contact_email_are_named_and_linked(admin_client, campaign):
    now = timezone.now()
    # The fixture's three cinemas all have screenings to come and no contact email.
    CinemaFactory(name="Aberdeen - Queens Links")  # no screenings: no door list to send
    ScreeningFactory(cinema=CinemaFactory(name="Bath - Southgate"), starts_at=now - dt.timedelta(days=1))
    ScreeningFactory(cinema=CinemaFactory(name="Leeds - Kirkstall"), cancelled_at=now)
    ScreeningFactory(cinema=CinemaFactory(name="York - Vangarde", contact_email="doors@vue.example"))

    board = dashboard_compute()

    assert notices(board)["cinemas_without_contact"] == (
        "3 cinemas have screenings to come and no contact email, so no door list will reach them: "
        "Town 0 - High Street, Town 1 - High Street, Town 2 - High Street."
    )
    link = next(notice.link for notice in board.notices if notice.key == "cinemas_without_contact")
    assert result_count(admin_client, link) == 3

    ScreeningFactory(cinema=CinemaFactory(name="Dundee - Camperdown"))
    assert notices(dashboard_compute())["cinemas_without_contact"].endswith(
        ": Dundee - Camperdown, Town 0 - High Street, Town 1 - High Street and 1 more."
    )
    Cinema.objects.update(contact_email="doors@cinema.example")
    assert "cinemas_without_contact" not in notices(dashboard_compute())


def test_a_campaign_contact_never_filled_in_is_a_warning_until_it_has_a_phone_or_email(admin_client):
    page = admin_client.get(INDEX)
    html = page.content.decode()
    assert "The campaign contact has never been filled in" in html
    form = reverse("admin:campaign_campaigncontact_change", args=[CampaignContact.SINGLETON_ID])
    assert f'href="{form}">Fill in the campaign contact</a>' in html
    assert admin_client.get(form).status_code == 200

    CampaignContact.objects.create(opening_hours="9 to 5")
    assert "contact_empty" in notices(dashboard_compute())
    CampaignContact.objects.update(phone="0800 123 4567")
    assert "contact_empty" not in notices(dashboard_compute())


def test_each_warning_is_shown_only_to_staff_who_may_open_its_link(client, campaign, django_user_model):
    verified_login(client, staff_with(django_user_model, "view_screening"))
    page = client.get(INDEX)
    assert page.context["dashboard_notices"] == []
    assert "Needs attention" not in page.content.decode()

    Permission.objects.get(codename="view_cinema").user_set.add(django_user_model.objects.get(username="holly"))
    page = client.get(INDEX)
    assert [notice.key for notice in page.context["dashboard_notices"]] == ["cinemas_without_contact"]
