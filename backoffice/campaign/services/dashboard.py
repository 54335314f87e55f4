"""The campaign at a glance, for the admin's front page: headline figures and four charts.

Every number comes from an aggregate query over the querysets that hold the rules
(``ScreeningQuerySet.with_sold_out`` and ``seats_left``, ``bookable``, ``upcoming``, ``seats_reserved``)
and ``services/ticket_stock.py``, or over the counts the database keeps beside bookings and
tickets (``BookingCount``, ``BookingHour``, ``TicketCount``): a fixed number of queries whatever the size of the
campaign. The whole
set is computed at most once per ``DASHBOARD_CACHE_SECONDS`` and shared by every viewer; what a
viewer sees of it is decided by their permissions when the page is drawn. Bookings do not clear
it: a figure is at most that old, and the page says when it was taken (docs/dashboard.md).
"""

import datetime as dt
import functools
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import ngettext

from backoffice.campaign.models import (
    LONDON,
    UNFINISHED_RUN,
    AccessCode,
    AccessCodeBatch,
    BookingCount,
    BookingHour,
    CampaignContact,
    Cinema,
    DataRun,
    Email,
    Screening,
)
from backoffice.campaign.querysets import (
    bookable_condition,
    booking_cutoff,
    door_list_unaddressed_condition,
    upcoming_condition,
)
from backoffice.campaign.services.ticket_stock import TicketStock, film_ticket_stock

logger = logging.getLogger(__name__)
T = TypeVar("T")

CACHE_KEY = "campaign:dashboard"

VIEW_RESERVATION = "campaign.view_reservation"
VIEW_SCREENING = "campaign.view_screening"
VIEW_TICKET = "campaign.view_ticket"
VIEW_ACCESS_CODE = "campaign.view_accesscode"
VIEW_CODE_BATCH = "campaign.view_accesscodebatch"
VIEW_EMAIL = "campaign.view_email"
VIEW_CINEMA = "campaign.view_cinema"
VIEW_CONTACT = "campaign.view_campaigncontact"

CLOSEST_CINEMAS = 10
NAMED_CINEMAS = 3


@dataclass(frozen=True)
class Figure:
    """One headline number; ``permissions`` are all needed to see it."""

    key: str
    label: str
    value: str
    detail: str
    link: str
    permissions: tuple[str, ...]
    warn: bool = False


@dataclass(frozen=True)
class Notice:
    """Something staff should put right, said in words, with a link to where they can."""

    key: str
    text: str
    link: str
    link_text: str
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class Chart:
    """One chart and the table of its numbers: ``rows`` are (label, value per series...)."""

    key: str
    title: str
    description: str
    kind: str  # a Chart.js type: "bar" or "line"
    columns: tuple[str, ...]  # the label column's heading, then one heading per series
    rows: tuple[tuple, ...]
    row_links: tuple[str, ...]  # the filtered admin list behind each row (or bar)
    link: str  # the admin list the whole chart summarises, filtered to what it counts
    link_text: str
    permissions: tuple[str, ...]
    horizontal: bool = False
    percent: bool = False
    drawn: int = 1  # value columns drawn; the others are in the table and the CSV only


@dataclass(frozen=True)
class StockRow:
    film: str
    stock: TicketStock  # free tickets against seats still offered, and whether that is short
    open_screenings: int
    link: str  # the film's free tickets


@dataclass
class Seats:
    """The seats of some screenings, added up: those of a film, a cinema or a day."""

    key: object
    name: str = ""
    offered: int = 0
    booked: int = 0
    left: int = 0
    screenings: int = 0
    full: int = 0  # sold out

    @property
    def open(self) -> int:
        """Screenings with seats left."""
        return self.screenings - self.full


@dataclass(frozen=True)
class Dashboard:
    taken_at: dt.datetime
    figures: tuple[Figure, ...]
    charts: tuple[Chart, ...]
    stock: tuple[StockRow, ...]
    notices: tuple[Notice, ...] = ()

    def chart(self, key: str) -> Chart | None:
        return next((chart for chart in self.charts if chart.key == key), None)


def dashboard_get() -> Dashboard:
    """The dashboard from the cache, or computed and cached when it is missing or expired."""
    return cached_or_computed(CACHE_KEY, dashboard_compute)


def cached_or_computed(key: str, compute: Callable[[], T]) -> T:
    """``compute()``'s result, kept ``DASHBOARD_CACHE_SECONDS`` under ``key``.

    The cache is optional: an error reading or writing it is logged and the figures are
    computed from the database.
    """
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("Cache unreachable; computing %s", key, exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout=settings.DASHBOARD_CACHE_SECONDS)
        except Exception:
            logger.warning("Cache unreachable; %s not stored", key, exc_info=True)
    return value


def runs_in_progress() -> int:
    """Background runs queued or running, of both kinds: code generation and spreadsheet runs."""
    return sum(model.objects.filter(status__in=UNFINISHED_RUN).count() for model in (AccessCodeBatch, DataRun))


def dashboard_compute() -> Dashboard:
    now = timezone.now()
    today = timezone.localtime(now, LONDON).date()
    midnight, tomorrow = _london_midnight(today), _london_midnight(today + dt.timedelta(days=1))
    week_start = _london_midnight(today - dt.timedelta(days=today.weekday()))

    # Counted per hour in UTC as bookings are made (models.BookingHour, kept by triggers) and put
    # on London days here: a London offset is whole hours.
    per_hour = BookingHour.objects.values("hour").annotate(bookings=Sum("bookings")).order_by()
    bookings = Counter()
    for row in per_hour:
        bookings[timezone.localtime(row["hour"], LONDON).date()] += row["bookings"]
    # Codes used and bookings holding seats, added up from the counts the database keeps per
    # screening and kind of code (models.BookingCount) instead of read from a million bookings.
    active = BookingCount.objects.aggregate(codes=Sum("redeemed"), bookings=Sum("active"))
    codes_used, bookings_active = active["codes"] or 0, active["bookings"] or 0
    # Seats added up per film, per film and cinema still taking bookings, and per day ahead, in
    # three grouped queries over each screening's seats reserved (its reserved_seats column): a
    # few hundred rows back, where one row per screening came back to be added up here.
    # A cancelled screening offers no seats: left out of every figure below.
    by_film, open_by_film, by_cinema, by_day = _seats_added_up()
    stock_by_film = film_ticket_stock()
    # Counted from the runs (their count moves in the transaction that writes their codes) and
    # the codes typed by hand: an index lookup, where counting a million rows takes a while.
    # Withdrawn codes in the same query, from the partial index that holds only them.
    codes = AccessCode.objects.filter(Q(batch__isnull=True) | Q(blocked_at__isnull=False)).aggregate(
        by_hand=Count("pk", filter=Q(batch__isnull=True)), blocked=Count("pk", filter=Q(blocked_at__isnull=False))
    )
    codes_issued = (AccessCodeBatch.objects.aggregate(n=Sum("created_count"))["n"] or 0) + codes["by_hand"]
    # Counted from the status index alone; most emails are sent and not read.
    emails = Email.objects.filter(status__in=(Email.Status.QUEUED, Email.Status.FAILED)).aggregate(
        waiting=Count("status", filter=Q(status=Email.Status.QUEUED)),
        failed=Count("status", filter=Q(status=Email.Status.FAILED)),
    )
    runs = runs_in_progress()

    booked_today = bookings.get(today, 0)
    booked_week = sum(count for day, count in bookings.items() if day >= week_start.date())
    films = sorted(by_film.values(), key=lambda row: (row.name, row.key))
    cinemas = sorted(
        (row for row in by_cinema.values() if row.left > 0 and row.offered > 0),
        key=lambda row: (-row.booked / row.offered, row.left, row.name),
    )[:CLOSEST_CINEMAS]
    ahead = sorted(by_day.values(), key=lambda row: row.key)

    capacity = sum(row.offered for row in films)
    seats = sum(row.booked for row in films)
    upcoming = sum(row.screenings for row in ahead)
    sold_out = sum(row.full for row in ahead)
    stock = tuple(
        StockRow(
            film=row.name,
            stock=stock_by_film.get(row.key, TicketStock()),
            open_screenings=open_by_film[row.key].open,
            link=_admin_list("ticket", film__id__exact=row.key, state="free"),
        )
        for row in films
        if row.key in open_by_film
    )
    stuck_films = [
        row.key
        for row in films
        if row.key in open_by_film and not stock_by_film.get(row.key, TicketStock()).tickets_free
    ]
    stuck = sum(open_by_film[film].open for film in stuck_films)
    cutoff = now + booking_cutoff()

    figures = (
        Figure(
            "seats",
            "Seats booked",
            f"{seats:,}",
            f"of {capacity:,} seats offered, in {bookings_active:,} {ngettext('booking', 'bookings', bookings_active)}",
            _admin_list("reservation", quantity="active"),
            (VIEW_RESERVATION,),
        ),
        Figure(
            "sold",
            "Sold",
            _percent(seats, capacity),
            "of all seats, the whole campaign",
            _admin_list("screening"),
            (VIEW_RESERVATION,),
        ),
        Figure(
            "today",
            "Bookings today",
            f"{booked_today:,}",
            "since midnight",
            _admin_list("reservation", created_at__gte=midnight, created_at__lt=tomorrow),
            (VIEW_RESERVATION,),
        ),
        Figure(
            "week",
            "Bookings this week",
            f"{booked_week:,}",
            f"since Monday {week_start:%-d %b}",
            _admin_list("reservation", created_at__gte=week_start, created_at__lt=tomorrow),
            (VIEW_RESERVATION,),
        ),
        Figure(
            "sold_out",
            "Screenings sold out",
            f"{sold_out:,}",
            f"of {upcoming:,} upcoming",
            _admin_list("screening", sold_out="yes", starts_at__gte=now),
            (VIEW_SCREENING,),
        ),
        Figure(
            "unbookable",
            "Screenings without tickets",
            f"{stuck:,}",
            "seats left, but no free tickets for the film",
            _admin_list(
                "screening", sold_out="no", starts_at__gt=cutoff, film__id__in=",".join(map(str, stuck_films)) or "0"
            ),
            (VIEW_SCREENING, VIEW_TICKET),
            warn=stuck > 0,
        ),
        Figure(
            "codes_issued",
            "Codes issued",
            f"{codes_issued:,}",
            "made by runs or typed by hand",
            _admin_list("accesscode"),
            (VIEW_ACCESS_CODE,),
        ),
        Figure(
            "codes_used",
            "Codes used",
            f"{codes_used:,}",
            f"{_percent(codes_used, codes_issued)} of codes issued",
            _admin_list("reservation", quantity__gt=0),
            (VIEW_ACCESS_CODE, VIEW_RESERVATION),
        ),
        Figure(
            "codes_blocked",
            "Codes withdrawn",
            f"{codes['blocked']:,}",
            "refused at booking",
            _admin_list("accesscode", withdrawn="yes"),
            (VIEW_ACCESS_CODE,),
        ),
        Figure(
            "emails_waiting",
            "Emails waiting",
            f"{emails['waiting']:,}",
            "queued to send",
            _admin_list("email", status__exact=Email.Status.QUEUED),
            (VIEW_EMAIL,),
        ),
        Figure(
            "emails_failed",
            "Emails failed",
            f"{emails['failed']:,}",
            "gave up after retries",
            _admin_list("email", status__exact=Email.Status.FAILED),
            (VIEW_EMAIL,),
            warn=emails["failed"] > 0,
        ),
        Figure(
            "runs",
            "Runs in progress",
            f"{runs:,}",
            "code generation, imports, exports",
            reverse("admin:runs"),
            (VIEW_CODE_BATCH,),
        ),
    )

    days = _days(bookings, today)
    charts = (
        Chart(
            key="bookings-per-day",
            title="Bookings per day",
            description="Reservations made each day of the campaign, cancelled ones included.",
            kind="line",
            columns=("Day", "Bookings"),
            rows=tuple((f"{day:%a %-d %b}", count) for day, count in days),
            row_links=tuple(
                _admin_list(
                    "reservation",
                    created_at__gte=_london_midnight(day),
                    created_at__lt=_london_midnight(day + dt.timedelta(days=1)),
                )
                for day, _ in days
            ),
            link=_admin_list(
                "reservation",
                created_at__gte=_london_midnight(days[0][0]) if days else midnight,
                created_at__lt=tomorrow,
            ),
            link_text="Reservations over these days",
            permissions=(VIEW_RESERVATION,),
        ),
        Chart(
            key="sell-through-per-film",
            title="Sell-through per film",
            description="Seats booked as a share of the seats offered, all of each film's screenings.",
            kind="bar",
            columns=("Film", "% sold", "Seats booked", "Seats offered"),
            rows=tuple((row.name, _ratio(row.booked, row.offered), row.booked, row.offered) for row in films),
            row_links=tuple(_admin_list("screening", film__id__exact=row.key) for row in films),
            link=_admin_list("screening", film__id__in=",".join(str(row.key) for row in films) or "0"),
            link_text="Screenings of these films",
            permissions=(VIEW_RESERVATION, VIEW_SCREENING),
            horizontal=True,
            percent=True,
        ),
        Chart(
            key="cinemas-closest-to-selling-out",
            title=f"The {CLOSEST_CINEMAS} cinemas closest to selling out",
            description="Share of seats booked at screenings still taking bookings; cinemas with seats left.",
            kind="bar",
            columns=("Cinema", "% sold", "Seats left"),
            rows=tuple((row.name, _ratio(row.booked, row.offered), row.left) for row in cinemas),
            row_links=tuple(
                _admin_list("screening", cinema__id__exact=row.key, sold_out="no", starts_at__gt=cutoff)
                for row in cinemas
            ),
            link=_admin_list(
                "screening",
                cinema__id__in=",".join(str(row.key) for row in cinemas) or "0",
                sold_out="no",
                starts_at__gt=cutoff,
            ),
            link_text="Screenings with seats left at these cinemas",
            permissions=(VIEW_RESERVATION, VIEW_SCREENING),
            horizontal=True,
            percent=True,
        ),
        Chart(
            key="sold-out-per-day",
            title="Sold-out screenings per day ahead",
            description="Upcoming screenings each day, and how many of them are sold out.",
            kind="bar",
            columns=("Day", "Sold out", "Screenings"),
            rows=tuple((f"{row.key:%a %-d %b}", row.full, row.screenings) for row in ahead),
            row_links=tuple(
                _admin_list(
                    "screening",
                    sold_out="yes",
                    starts_at__day=row.key.day,
                    starts_at__month=row.key.month,
                    starts_at__year=row.key.year,
                )
                for row in ahead
            ),
            link=_admin_list("screening", sold_out="yes", starts_at__gte=now),
            link_text="Upcoming sold-out screenings",
            permissions=(VIEW_SCREENING,),
            drawn=2,  # sold out, in front of all the day's screenings
        ),
    )
    return Dashboard(taken_at=now, figures=figures, charts=charts, stock=stock, notices=_notices())


def _notices() -> tuple[Notice, ...]:
    """Door lists with nowhere to go, and a public site with no way to book: two queries and a lookup."""
    notices = []
    unaddressed = Cinema.objects.filter(door_list_unaddressed_condition())
    if count := unaddressed.count():
        names = list(unaddressed.order_by("name").values_list("name", flat=True)[:NAMED_CINEMAS])
        more = f" and {count - len(names):,} more" if count > len(names) else ""
        notices.append(
            Notice(
                "cinemas_without_contact",
                f"{count:,} {'cinema has' if count == 1 else 'cinemas have'} screenings to come and no contact email, "
                f"so no door list will reach {'it' if count == 1 else 'them'}: {', '.join(names)}{more}.",
                _admin_list("cinema", door_lists="unaddressed"),
                "Cinemas without a contact email",
                (VIEW_CINEMA,),
            )
        )
    if not CampaignContact.objects.exclude(phone="", email="").exists():
        notices.append(
            Notice(
                "contact_empty",
                "The campaign contact has never been filled in: the public site gives no phone or email to book by.",
                reverse("admin:campaign_campaigncontact_change", args=[CampaignContact.SINGLETON_ID]),
                "Fill in the campaign contact",
                (VIEW_CONTACT,),
            )
        )
    return tuple(notices)


def _seats_added_up() -> tuple[dict, dict, dict, dict]:
    """Seats per film; screenings per film and seats per cinema at screenings still taking
    bookings; and screenings per day ahead. Each dict maps a film, cinema or day to its ``Seats``."""
    screenings = Screening.objects.not_cancelled().with_sold_out()
    bookable, full = bookable_condition(), Q(seats_left=0)
    seats = {
        "offered": Sum("capacity"),
        "booked": Sum("seats_reserved"),
        "left": Sum("seats_left"),
        "screenings": Count("pk"),
        "full": Count("pk", filter=full),
    }

    def added_up(row: dict, key: str, name: str = "") -> Seats:
        return Seats(row[key], row[name] if name else "", **{figure: row[figure] for figure in seats})

    films = screenings.values("film", "film__name").annotate(
        **seats, bookable=Count("pk", filter=bookable), bookable_full=Count("pk", filter=bookable & full)
    )
    by_film, open_by_film = {}, {}
    for row in films.order_by():
        by_film[row["film"]] = added_up(row, "film", "film__name")
        if row["bookable"]:
            open_by_film[row["film"]] = Seats(row["film"], screenings=row["bookable"], full=row["bookable_full"])
    cinemas = screenings.filter(bookable).values("cinema", "cinema__name").annotate(**seats).order_by()
    by_cinema = {row["cinema"]: added_up(row, "cinema", "cinema__name") for row in cinemas}
    days = (
        screenings.filter(upcoming_condition())
        .values(day=TruncDate("starts_at", tzinfo=LONDON))
        .annotate(**seats)
        .order_by()
    )
    by_day = {row["day"]: added_up(row, "day") for row in days}
    return by_film, open_by_film, by_cinema, by_day


def _london_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


def _days(bookings: Counter, today: dt.date) -> list[tuple[dt.date, int]]:
    """Every day from the first booking to today (or the last, if later), days without bookings as 0."""
    if not bookings:
        return []
    first = min(min(bookings), today)
    days = (first + dt.timedelta(days=n) for n in range((max(max(bookings), today) - first).days + 1))
    return [(day, bookings[day]) for day in days]


def _ratio(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _percent(part: int, whole: int) -> str:
    return f"{_ratio(part, whole):.1f}%" if whole else "n/a"


def _admin_list(model: str, **filters) -> str:
    url = _changelist(model)
    return f"{url}?{urlencode(filters)}" if filters else url


@functools.cache
def _changelist(model: str) -> str:
    return reverse(f"admin:campaign_{model}_changelist")
