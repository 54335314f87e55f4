"""The end-of-campaign report: each row against a count made here, its page and its downloads."""

import csv
import io
from collections import Counter, defaultdict

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
)
from backoffice.campaign.models import AccessCode, AccessCodeBatch, Cinema, Film, Reservation, Screening
from backoffice.campaign.services import campaign_report
from backoffice.campaign.services.campaign_report import campaign_report_compute

pytestmark = pytest.mark.django_db

REPORT = reverse("admin:campaign_report")


@pytest.fixture(autouse=True)
def _fresh_report():
    cache.delete(campaign_report.CACHE_KEY)
    yield
    cache.delete(campaign_report.CACHE_KEY)


@pytest.fixture
def campaign():
    """Two films at two cinemas; codes from a batch for Elf, a batch for any film, and typed ones."""
    elf, carol = FilmFactory(name="Elf"), FilmFactory(name="A Christmas Carol")
    town, city = CinemaFactory(name="Town - High Street"), CinemaFactory(name="City - Docks")
    elf_town = ScreeningFactory(film=elf, cinema=town, capacity=10)
    elf_city = ScreeningFactory(film=elf, cinema=city, capacity=6)
    carol_town = ScreeningFactory(film=carol, cinema=town, capacity=8)
    for_elf = AccessCodeBatch.objects.create(requested_count=3, created_count=3, film=elf, status="completed")
    for_any = AccessCodeBatch.objects.create(requested_count=4, created_count=4, max_usages=2, status="completed")
    elf_codes = [AccessCodeFactory(batch=for_elf, valid_for=elf) for _ in range(3)]
    any_codes = [AccessCodeFactory(batch=for_any, max_usages=2) for _ in range(4)]
    typed = AccessCodeFactory.create_batch(2)
    for screening, quantity, code in [
        (elf_town, 2, elf_codes[0]),
        (elf_city, 3, elf_codes[1]),
        (elf_town, 0, elf_codes[2]),  # cancelled: the code is not redeemed
        (carol_town, 4, any_codes[0]),
        (elf_town, 1, any_codes[0]),  # the same code twice: redeemed once
        (elf_city, 1, any_codes[1]),
        (carol_town, 2, typed[0]),
    ]:
        ReservationFactory(screening=screening, quantity=quantity, access_code=code)


def counted_here() -> dict[tuple[str, str], tuple]:
    """The report's rows, counted reservation by reservation and code by code."""
    offered, booked, cancelled = Counter(), Counter(), Counter()
    issued, redeemed = Counter(), defaultdict(set)
    for screening in Screening.objects.select_related("film", "cinema"):
        offered["Film", screening.film.name] += screening.capacity
        offered["Cinema", screening.cinema.name] += screening.capacity
    for code in AccessCode.objects.select_related("batch", "valid_for"):
        issued["Film", code.valid_for.name if code.valid_for else "Codes for any film"] += 1
        issued["Code batch", code.batch_id] += 1
    for r in Reservation.objects.select_related("screening__film", "screening__cinema", "access_code"):
        code = r.access_code
        keys = [("Film", r.screening.film.name), ("Cinema", r.screening.cinema.name), ("Code batch", code.batch_id)]
        for key in keys:
            booked[key] += r.quantity
            cancelled[key] += r.quantity == 0
        if r.quantity:
            redeemed["Film", code.valid_for.name if code.valid_for else "Codes for any film"].add(code.pk)
            redeemed["Code batch", code.batch_id].add(code.pk)
    return {
        "offered": offered,
        "booked": booked,
        "cancelled": cancelled,
        "issued": issued,
        "redeemed": {key: len(codes) for key, codes in redeemed.items()},
    }


def test_each_row_equals_a_count_made_row_by_row(campaign):
    report = campaign_report_compute()
    here = counted_here()
    batches = list(AccessCodeBatch.objects.order_by("pk").values_list("pk", flat=True))

    [total] = report.section("Campaign")
    assert (total.seats_offered, total.seats_booked, total.bookings_cancelled) == (24, 13, 1)
    assert (total.codes_issued, total.codes_redeemed, total.redemption_rate) == (9, 5, 55.6)

    films = {row.name: row for row in report.section("Film")}
    assert list(films) == ["A Christmas Carol", "Elf", "Codes for any film"]
    for name in ("A Christmas Carol", "Elf"):
        row = films[name]
        key = ("Film", name)
        assert (row.seats_offered, row.seats_booked, row.bookings_cancelled) == (
            here["offered"][key],
            here["booked"][key],
            here["cancelled"][key],
        )
        assert (row.codes_issued, row.codes_redeemed) == (here["issued"][key], here["redeemed"].get(key, 0))
    assert films["Elf"].redemption_rate == 66.7  # 2 of its 3 codes: the third only cancelled
    assert films["A Christmas Carol"].redemption_rate is None  # no codes for Carol alone
    anyfilm = films["Codes for any film"]
    assert (anyfilm.codes_issued, anyfilm.codes_redeemed) == (6, 3)  # 4 from the batch, 2 typed
    assert anyfilm.seats_offered is None

    cinemas = {row.name: row for row in report.section("Cinema")}
    assert list(cinemas) == ["City - Docks", "Town - High Street"]
    for name, row in cinemas.items():
        key = ("Cinema", name)
        assert (row.seats_offered, row.seats_booked, row.bookings_cancelled) == (
            here["offered"][key],
            here["booked"][key],
            here["cancelled"][key],
        )
        assert (row.codes_issued, row.codes_redeemed, row.redemption_rate) == (None, None, None)

    rows = report.section("Code batch")
    assert [row.name.split(",")[0] for row in rows] == [*(f"Batch {pk}" for pk in batches), "Codes typed by hand"]
    assert rows[0].name.endswith(", Elf, 1 use")
    assert rows[1].name.endswith(", any film, 2 uses")
    for row, batch_id in zip(rows, [*batches, None], strict=True):
        key = ("Code batch", batch_id)
        assert (row.seats_booked, row.bookings_cancelled, row.codes_issued, row.codes_redeemed) == (
            here["booked"][key],
            here["cancelled"][key],
            here["issued"][key],
            here["redeemed"].get(key, 0),
        )


def test_codes_given_another_film_than_their_batch_count_for_that_film(campaign):
    # A batch's codes are its run's count; a code staff point at another film (or at any film)
    # moves from one film's row to the other, and its batch still counts it.
    carol = Film.objects.get(name="A Christmas Carol")
    for_elf, for_any = AccessCodeBatch.objects.order_by("pk")
    AccessCode.objects.filter(pk=for_any.codes.order_by("pk").last().pk).update(valid_for=carol)
    AccessCode.objects.filter(pk=for_elf.codes.order_by("pk").last().pk).update(valid_for=None)
    report, here = campaign_report_compute(), counted_here()
    films = {row.name: row.codes_issued for row in report.section("Film")}
    assert films == {name: here["issued"]["Film", name] for name in films}
    assert films == {"A Christmas Carol": 1, "Elf": 2, "Codes for any film": 6}
    batches = [row.codes_issued for row in report.section("Code batch")]
    assert batches == [here["issued"]["Code batch", key] for key in (for_elf.pk, for_any.pk, None)] == [3, 4, 2]


def test_the_report_runs_the_same_queries_whatever_the_size(campaign):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            campaign_report_compute()
        return len(captured)

    small = queries()
    films, cinemas = FilmFactory.create_batch(3), CinemaFactory.create_batch(4)
    batch = AccessCodeBatch.objects.create(requested_count=40, created_count=40, status="completed")
    for i in range(40):
        screening = ScreeningFactory(film=films[i % 3], cinema=cinemas[i % 4])
        ReservationFactory(screening=screening, quantity=i % 3, access_code=AccessCodeFactory(batch=batch))
    assert queries() == small


def test_the_page_shows_every_section(admin_client, campaign):
    page = admin_client.get(REPORT)
    assert page.status_code == 200
    html = page.content.decode()
    for caption in ("The whole campaign", "By film", "By cinema", "By code batch"):
        assert f"<caption>{caption}</caption>" in html
    assert "Codes typed by hand" in html
    assert 'href="?format=xlsx"' in html


def test_the_page_groups_thousands_and_says_percent_once_in_the_heading(admin_client, campaign):
    ScreeningFactory(film=Film.objects.get(name="Elf"), capacity=12_000)
    html = admin_client.get(REPORT).content.decode()
    assert '<th scope="col">Redemption rate (%)</th>' in html
    # The campaign: 12,024 seats offered; 5 of its 9 codes redeemed (55.6).
    assert '<td data-label="Seats offered">12,024</td>' in html
    assert '<td data-label="Redemption rate (%)">55.6</td>' in html
    assert "%</td>" not in html
    # A figure that does not apply (a cinema's codes, the seats of codes for any film) is a dash.
    assert '<td data-label="Codes issued">\N{EN DASH}</td>' in html
    assert '<td data-label="Seats offered">\N{EN DASH}</td>' in html
    assert "None" not in html


def test_downloads_as_csv_and_xlsx_with_the_same_rows(admin_client, campaign):
    report = campaign_report_compute()
    fields = ["group", "name", "seats_offered", "seats_booked", "bookings_cancelled"]
    fields += ["codes_issued", "codes_redeemed", "redemption_rate"]
    expected = [[getattr(row, field) for field in fields] for row in report.rows]

    response = admin_client.get(REPORT, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="campaign-report-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["group", "name", "seats offered"]
    as_text = [["" if value is None else str(value) for value in row] for row in expected]
    assert rows[1:] == as_text

    response = admin_client.get(REPORT, {"format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Campaign report"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][-1] == "redemption rate (%)"
    assert [list(row) for row in values[1:]] == expected  # numbers stay numbers


def test_names_that_look_like_formulas_are_escaped(admin_client, campaign):
    Cinema.objects.filter(name="City - Docks").update(name="=cmd|' /C calc'!A0")
    content = admin_client.get(REPORT, {"format": "csv"}).content.decode()
    assert "'=cmd|" in content


def test_an_unknown_format_is_refused_with_a_clear_message(admin_client, campaign):
    response = admin_client.get(REPORT, {"format": "pdf"})
    assert response.status_code == 400
    assert response.content.decode() == "There is no report format 'pdf': choose csv or xlsx."


def test_staff_who_may_not_view_code_batches_cannot_open_it(client, campaign, django_user_model):
    agent = django_user_model.objects.create_user("agent", password="pw", is_staff=True)
    agent.groups.add(Group.objects.get(name="Booking agent"))
    client.force_login(agent)
    assert client.get(REPORT).status_code == 403
    assert client.get(REPORT, {"format": "csv"}).status_code == 403
    assert "End-of-campaign report" not in client.get(reverse("admin:index")).content.decode()


def test_films_and_cinemas_without_screenings_still_have_a_row(admin_client):
    Film.objects.create(name="Unscheduled", slug="unscheduled")
    report = campaign_report_compute()
    [row] = report.section("Film")
    assert (row.seats_offered, row.seats_booked, row.codes_issued, row.redemption_rate) == (0, 0, 0, None)
