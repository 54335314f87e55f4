"""The end-of-campaign report: seats offered, booked and cancelled, codes issued and redeemed, by
film, by cinema and by code batch, with the campaign's totals.

Four grouped queries (plus the names of films, cinemas and batches) whatever the campaign's size;
the groups are added up here. Bookings are read from the counts the database keeps per screening
and kind of code (``BookingCount``), not from the bookings. Cached like the dashboard
(``DASHBOARD_CACHE_SECONDS``).

- Seats booked: seats held by active reservations. Bookings cancelled: reservations at quantity
  0 (a cancellation keeps no seat count).
- Codes issued: access codes made by the runs (each batch's count) or typed by hand. A film's
  row counts the codes valid only for that film; codes valid for any film have a row of their
  own. Cinemas issue no codes.
- Codes redeemed: those codes with at least one active reservation. Redemption rate: redeemed
  as a share of issued.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from backoffice.campaign.models import AccessCode, AccessCodeBatch, BookingCount, Cinema, Film, Screening
from backoffice.campaign.services.dashboard import cached_or_computed

CACHE_KEY = "campaign:report"
# Bookings, and the code batches they came from.
REPORT_PERMISSIONS = ("campaign.view_reservation", "campaign.view_accesscodebatch")


@dataclass(frozen=True)
class ReportRow:
    group: str  # "Campaign", "Film", "Cinema" or "Code batch"
    name: str
    seats_offered: int | None = None
    seats_booked: int | None = None
    bookings_cancelled: int | None = None
    codes_issued: int | None = None
    codes_redeemed: int | None = None

    @property
    def redemption_rate(self) -> float | None:
        """Percent of the codes issued that were redeemed; None where no codes are issued."""
        if not self.codes_issued or self.codes_redeemed is None:
            return None
        return round(100 * self.codes_redeemed / self.codes_issued, 1)


@dataclass(frozen=True)
class CampaignReport:
    taken_at: dt.datetime
    rows: tuple[ReportRow, ...]

    def section(self, group: str) -> list[ReportRow]:
        return [row for row in self.rows if row.group == group]


def campaign_report_get() -> CampaignReport:
    """The report from the cache, or computed and cached; a cache that is down is skipped."""
    return cached_or_computed(CACHE_KEY, campaign_report_compute)


def campaign_report_compute() -> CampaignReport:
    taken_at = timezone.now()
    offered = list(
        Screening.objects.not_cancelled().values("film", "cinema").annotate(seats=Sum("capacity")).order_by()
    )
    # Bookings read from the counts the triggers keep (models.BookingCount), a row per screening
    # and kind of code, instead of a million bookings joined to ten million codes.
    booked = list(
        BookingCount.objects.values("screening__film", "screening__cinema")
        .annotate(seats=Sum("seats"), cancelled=Sum("cancelled"))
        .order_by()
    )
    batches = list(AccessCodeBatch.objects.select_related("film").order_by("pk"))
    issued = _codes_issued(batches)
    # A code belongs to one batch and one film, so codes redeemed per (batch, film) add up.
    by_code = list(
        BookingCount.objects.values("batch", "film")
        .annotate(seats=Sum("seats"), cancelled=Sum("cancelled"), redeemed=Sum("redeemed"))
        .order_by()
    )

    film_seats, cinema_seats = _totals(offered, "film", "seats"), _totals(offered, "cinema", "seats")
    film_booked = _totals(booked, "screening__film", "seats", "cancelled")
    cinema_booked = _totals(booked, "screening__cinema", "seats", "cancelled")
    film_codes, batch_codes = _totals(issued, "valid_for", "codes"), _totals(issued, "batch", "codes")
    film_redeemed = _totals(by_code, "film", "redeemed")
    batch_booked = _totals(by_code, "batch", "seats", "cancelled", "redeemed")

    rows = [
        ReportRow(
            "Campaign",
            "All films and cinemas",
            seats_offered=sum(row["seats"] for row in offered),
            seats_booked=sum(row["seats"] for row in booked),
            bookings_cancelled=sum(row["cancelled"] for row in booked),
            codes_issued=sum(row["codes"] for row in issued),
            codes_redeemed=sum(row["redeemed"] for row in by_code),
        )
    ]
    for film_id, name in Film.objects.order_by("name", "pk").values_list("pk", "name"):
        rows.append(
            ReportRow(
                "Film",
                name,
                seats_offered=film_seats[film_id]["seats"],
                seats_booked=film_booked[film_id]["seats"],
                bookings_cancelled=film_booked[film_id]["cancelled"],
                codes_issued=film_codes[film_id]["codes"],
                codes_redeemed=film_redeemed[film_id]["redeemed"],
            )
        )
    if film_codes[None]["codes"]:
        rows.append(
            ReportRow(
                "Film",
                "Codes for any film",
                codes_issued=film_codes[None]["codes"],
                codes_redeemed=film_redeemed[None]["redeemed"],
            )
        )
    for cinema_id, name in Cinema.objects.order_by("name", "pk").values_list("pk", "name"):
        rows.append(
            ReportRow(
                "Cinema",
                name,
                seats_offered=cinema_seats[cinema_id]["seats"],
                seats_booked=cinema_booked[cinema_id]["seats"],
                bookings_cancelled=cinema_booked[cinema_id]["cancelled"],
            )
        )
    named = [(batch.pk, _batch_name(batch)) for batch in batches]
    if batch_codes[None]["codes"]:
        named.append((None, "Codes typed by hand"))
    for batch_id, name in named:
        rows.append(
            ReportRow(
                "Code batch",
                name,
                seats_booked=batch_booked[batch_id]["seats"],
                bookings_cancelled=batch_booked[batch_id]["cancelled"],
                codes_issued=batch_codes[batch_id]["codes"],
                codes_redeemed=batch_booked[batch_id]["redeemed"],
            )
        )
    return CampaignReport(taken_at=taken_at, rows=tuple(rows))


def _codes_issued(batches: list[AccessCodeBatch]) -> list[dict]:
    """Codes per (batch, valid_for), as grouping every code would give them, without reading
    every code: a batch's codes are its run's count (``created_count``, which moves in the
    transaction that writes them, as the dashboard's "Codes issued" reads it), and the only
    codes read are those for one film (the partial index ``access_code_valid_for``) and those
    typed by hand (the batch index). A batch's codes for any film are the rest of its count."""
    grouped = list(
        AccessCode.objects.filter(Q(valid_for__isnull=False) | Q(batch__isnull=True))
        .values("batch", "valid_for")
        .annotate(codes=Count("pk"))
        .order_by()
    )
    for_a_film = _totals([row for row in grouped if row["valid_for"] is not None], "batch", "codes")
    any_film = [
        {"batch": batch.pk, "valid_for": None, "codes": batch.created_count - for_a_film[batch.pk]["codes"]}
        for batch in batches
    ]
    return grouped + any_film


def _totals(rows, key: str, *values: str) -> defaultdict:
    """``values`` summed per ``key`` over grouped rows; 0 for a key no row has."""
    totals = defaultdict(lambda: dict.fromkeys(values, 0))
    for row in rows:
        for value in values:
            totals[row[key]][value] += row[value]
    return totals


def _batch_name(batch: AccessCodeBatch) -> str:
    film = batch.film.name if batch.film else "any film"
    made = timezone.localtime(batch.created_at)
    return f"Batch {batch.pk}, {made:%-d %b %Y}, {film}, {batch.max_usages} use{'s' if batch.max_usages > 1 else ''}"
