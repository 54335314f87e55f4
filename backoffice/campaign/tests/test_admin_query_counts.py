"""Every admin page staff use runs the same number of queries on 10 rows as on 1,000.

bench/admin.py times the same pages on a full campaign; these tests hold the half of the bar
that does not need a million rows: no query per row, on any list, search, filter, form or picker.
The tests only read, so the campaign is built once for the module (``campaign``) and each test
compares its page's statements on 1,000 rows with those recorded on 10.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
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
from backoffice.campaign.models import AccessCode, AccessCodeBatch, Cinema, Film, Reservation, Screening, Ticket
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = pytest.mark.django_db  # each test reads in a transaction; the campaign is the module's

AUTOCOMPLETE = reverse("admin:autocomplete")
PICKER = {"app_label": "campaign", "model_name": "reservation"}


class Campaign:
    """Grows every table together: each reservation has its own code and screening, and holds
    one ticket; as many tickets again are free. Films and cinemas stay few, as in a campaign."""

    def __init__(self) -> None:
        self.films = FilmFactory.create_batch(3)
        self.cinemas = CinemaFactory.create_batch(5)
        self.batch = AccessCodeBatch.objects.create(requested_count=0, film=self.films[0])
        self.rows = 0

    def grow(self, rows: int) -> None:
        new = range(self.rows, rows)
        screenings = []
        for i in new:
            screening = ScreeningFactory.build(film=self.films[i % 3], cinema=self.cinemas[i % 5], capacity=4)
            screening.slug = screening.build_slug()
            screening.code = f"Q{i:05d}"  # unique; bulk_create skips the draw save() makes
            screenings.append(screening)
        Screening.objects.bulk_create(screenings)
        codes = AccessCode.objects.bulk_create(
            AccessCodeFactory.build(
                batch=self.batch,
                max_usages=1 + i % 2,
                valid_for=self.films[i % 3],
                blocked_at=timezone.now() if i % 3 == 0 else None,  # withdrawn, its booking listed for review
            )
            for i in new
        )
        reservations = Reservation.objects.bulk_create(
            ReservationFactory.build(screening=screening, access_code=code, quantity=1)
            for screening, code in zip(screenings, codes, strict=True)
        )
        Ticket.objects.bulk_create(
            [TicketFactory.build(film=r.screening.film, reservation=r) for r in reservations]
            + [TicketFactory.build(film=self.films[i % 3]) for i in new]
        )
        self.rows = rows

    @property
    def reservation(self) -> Reservation:
        return Reservation.objects.select_related("access_code").order_by("pk").first()


def url(name: str, *args) -> str:
    return reverse(f"admin:campaign_{name}", args=args)


# (label, a function of the campaign giving (url, query)); the same pages bench/admin.py times.
PAGES = {
    "admin index": lambda c: (reverse("admin:index"), {}),
    "reservations": lambda c: (url("reservation_changelist"), {}),
    "reservations page 2": lambda c: (url("reservation_changelist"), {"p": 2} if c.rows > 100 else {}),
    "reservations by film": lambda c: (url("reservation_changelist"), {"screening__film__id__exact": c.films[0].pk}),
    "reservations by cinema": lambda c: (
        url("reservation_changelist"),
        {"screening__cinema__id__exact": c.cinemas[0].pk},
    ),
    "reservations by quantity": lambda c: (url("reservation_changelist"), {"quantity": 1}),
    "reservations by date": lambda c: (
        url("reservation_changelist"),
        {"created_at__year": c.reservation.created_at.year, "created_at__month": c.reservation.created_at.month},
    ),
    "reservation search: name": lambda c: (url("reservation_changelist"), {"q": c.reservation.name.split()[-1]}),
    "reservation search: email": lambda c: (url("reservation_changelist"), {"q": c.reservation.email}),
    "reservation search: part of an email": lambda c: (
        url("reservation_changelist"),
        {"q": c.reservation.email.split("@")[0]},
    ),
    "reservations by year": lambda c: (
        url("reservation_changelist"),
        {"created_at__year": c.reservation.created_at.year},
    ),
    "reservation search: reference": lambda c: (url("reservation_changelist"), {"q": c.reservation.reference}),
    "reservation search: code": lambda c: (url("reservation_changelist"), {"q": c.reservation.access_code.value}),
    "reservation change form": lambda c: (url("reservation_change", c.reservation.pk), {}),
    "reservation add form": lambda c: (url("reservation_add"), {}),
    "screening picker": lambda c: (AUTOCOMPLETE, {**PICKER, "field_name": "screening"}),
    "screening picker: term": lambda c: (AUTOCOMPLETE, {**PICKER, "field_name": "screening", "term": "winter"}),
    "access code picker": lambda c: (AUTOCOMPLETE, {**PICKER, "field_name": "access_code"}),
    "access code picker: term": lambda c: (
        AUTOCOMPLETE,
        {**PICKER, "field_name": "access_code", "term": c.reservation.access_code.value[:2]},
    ),
    "access codes": lambda c: (url("accesscode_changelist"), {}),
    "access codes by usages": lambda c: (url("accesscode_changelist"), {"max_usages": 2}),
    "access codes by film": lambda c: (url("accesscode_changelist"), {"valid_for__id__exact": c.films[0].pk}),
    "access code search": lambda c: (url("accesscode_changelist"), {"q": c.reservation.access_code.value[:4]}),
    "access code change form": lambda c: (url("accesscode_change", c.reservation.access_code_id), {}),
    "access codes withdrawn": lambda c: (url("accesscode_changelist"), {"withdrawn": "yes"}),
    "withdraw codes form": lambda c: (url("accesscode_block"), {}),
    "access code batches": lambda c: (url("accesscodebatch_changelist"), {}),
    "access code batch page": lambda c: (url("accesscodebatch_change", c.batch.pk), {}),
    "access code batch delete page": lambda c: (url("accesscodebatch_delete", c.batch.pk), {}),
    "reservations with withdrawn codes": lambda c: (url("reservation_changelist"), {"withdrawn_code": c.batch.pk}),
    "tickets": lambda c: (url("ticket_changelist"), {}),
    "tickets free, by film": lambda c: (
        url("ticket_changelist"),
        {"film__id__exact": c.films[0].pk, "state": "free"},
    ),
    "tickets with counts": lambda c: (url("ticket_changelist"), {"_facets": "True"}),
    "ticket search: code": lambda c: (url("ticket_changelist"), {"q": Ticket.objects.order_by("pk").first().code}),
    "ticket search: reference": lambda c: (url("ticket_changelist"), {"q": c.reservation.reference}),
    "ticket change form": lambda c: (url("ticket_change", Ticket.objects.order_by("pk").first().pk), {}),
    "screenings": lambda c: (url("screening_changelist"), {}),
    "screenings with counts": lambda c: (url("screening_changelist"), {"_facets": "True"}),
    "screenings sold out": lambda c: (url("screening_changelist"), {"sold_out": "yes"}),
    "screenings sold out with counts": lambda c: (url("screening_changelist"), {"sold_out": "yes", "_facets": "True"}),
    "screenings of a month": lambda c: (
        url("screening_changelist"),
        {
            "starts_at__year": c.reservation.screening.starts_at.year,
            "starts_at__month": c.reservation.screening.starts_at.month,
        },
    ),
    "screening search": lambda c: (url("screening_changelist"), {"q": "winter"}),
    "screening change form": lambda c: (url("screening_change", c.reservation.screening_id), {}),
    "screening delete page": lambda c: (url("screening_delete", c.reservation.screening_id), {}),
    "films": lambda c: (url("film_changelist"), {}),
    "film delete page": lambda c: (url("film_delete", c.films[0].pk), {}),
    "cinemas": lambda c: (url("cinema_changelist"), {}),
    "cinema delete page": lambda c: (url("cinema_delete", c.cinemas[0].pk), {}),
}


def queries(client, page: str, campaign: Campaign) -> list[str]:
    path, query = PAGES[page](campaign)
    client.get(path, query)  # first visits fill per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, query)
    assert response.status_code == 200, f"{page}: {response.status_code}"
    return [q["sql"] for q in captured]


@pytest.fixture(scope="module")
def campaign(django_db_setup, django_db_blocker):
    """A campaign built once, outside any test's transaction: every page's statements on 10
    rows, then grown to 1,000. Deleted again after the module, so later modules start empty.

    The 10-row pages are read in a transaction, as each test reads its 1,000-row page: the
    admin's savepoints then count the same on both sides."""
    with django_db_blocker.unblock():
        admin = get_user_model().objects.create_superuser("query-counts", "q@example.org", "not-used")
        client = Client()
        verified_login(client, admin)
        built = Campaign()
        built.grow(10)
        with transaction.atomic():
            on_ten = {page: queries(client, page, built) for page in PAGES}
        built.grow(1_000)
        try:
            yield client, built, on_ten
        finally:
            client.logout()
            for model in (Ticket, Reservation, AccessCode, AccessCodeBatch, Screening, Film, Cinema):
                model.objects.all().delete()
                if hasattr(model, "history"):
                    model.history.all().delete()  # deleting wrote a version of each row
            admin.delete()


# Named admin_page, not page: Playwright's page fixture would give every test here a browser
# parameter, and pytest would then run them among the browser tests.
@pytest.mark.parametrize("admin_page", PAGES)
def test_queries_do_not_grow_with_rows(campaign, admin_page):
    client, built, on_ten = campaign
    on_thousand = queries(client, admin_page, built)
    # On a failure, both pages' statements side by side show where the extra query comes from.
    assert len(on_thousand) == len(on_ten[admin_page]), "\n".join(
        ["On 10 rows:", *on_ten[admin_page], "On 1,000 rows:", *on_thousand]
    )
