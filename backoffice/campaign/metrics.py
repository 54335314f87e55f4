"""The campaign's figures for Prometheus (docs/operations.md, "Metrics").

Counters move where things happen (a booking made or refused, an email sent, a cache error, a
lock wait that gave up); the outbox and the runs are read from the database when Prometheus
scrapes, so every host reports the same numbers and nothing has to be kept in step.
Labels come from small fixed sets, never from free text, so the number of series stays bounded.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric

BOOKINGS_MADE = Counter("xmasfilms_bookings_made", "New reservations committed.")
BOOKINGS_REFUSED = Counter("xmasfilms_bookings_refused", "New reservations refused, by reason.", ["reason"])
EMAILS_SENT = Counter("xmasfilms_emails_sent", "Messages the workers handed to the SMTP server.")
CACHE_ERRORS = Counter("xmasfilms_cache_errors", "Redis errors the API cache swallowed, answering from the database.")
LOCK_WAIT_TIMEOUTS = Counter("xmasfilms_lock_wait_timeouts", "Writes that gave up waiting for a row lock (busy).")

# Why a booking was refused. A ValidationError raised with one of these as its code is counted
# under it; the wordings below name the rest, and anything else is "other".
REFUSAL_REASONS = (
    "seats",
    "code_used_up",
    "code_other_film",
    "code_withdrawn",
    "closed",
    "screening_cancelled",
    "email_taken",
    "busy",
    "other",
)
# (field, words in the message, reason), first match wins, for the refusals raised without one of
# those codes: the words of the checks in services/reservations.py, Screening.check_bookable and
# Reservation.allocate_tickets;
# test_metrics.py books each refusal.
_REFUSAL_WORDING = (
    ("access_code", "used up", "code_used_up"),
    ("access_code", " only, not ", "code_other_film"),
    ("screening", "closed at", "closed"),
    ("screening", "seats left", "seats"),
    ("quantity", "left for", "seats"),
    # The film's ticket stock ran out (Reservation.allocate_tickets): no seat can be given either.
    (NON_FIELD_ERRORS, "tickets left", "seats"),
)
for _reason in REFUSAL_REASONS:
    BOOKINGS_REFUSED.labels(_reason)  # every reason shows, at 0, before it first happens


def booking_made() -> None:
    """Count a new reservation once its transaction commits (an import's preview rolls back: not counted)."""
    transaction.on_commit(BOOKINGS_MADE.inc)


def booking_refused(error: BaseException) -> None:
    """Count a new reservation refused; errors that are not refusals (the database down) are not counted."""
    if isinstance(error, IntegrityError) and "reservation_one_active_per_email" in str(error):
        BOOKINGS_REFUSED.labels("email_taken").inc()
    elif isinstance(error, ValidationError):
        BOOKINGS_REFUSED.labels(refusal_reason(error)).inc()


def refusal_reason(error: ValidationError) -> str:
    from backoffice.campaign.services.locking import BUSY_MESSAGE

    errors = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
    for field, field_errors in errors.items():
        for each in field_errors:
            if each.code in REFUSAL_REASONS:
                return each.code
            message = each.message % each.params if each.params else each.message
            if message == BUSY_MESSAGE:
                return "busy"
            if field == "email":
                return "email_taken"
            for wording_field, words, reason in _REFUSAL_WORDING:
                if field == wording_field and words in message:
                    return reason
    return "other"


class CampaignCollector:
    """The outbox and the runs, read at scrape time in three queries served by indexes."""

    def collect(self) -> Iterator[Metric]:
        from backoffice.campaign.models import AccessCodeBatch, DataRun, Email, RunStatus, run_stale_after

        now = timezone.now()
        # The status index holds the few rows not sent; sent ones (most) are never read.
        outbox = Email.objects.filter(status__in=(Email.Status.QUEUED, Email.Status.FAILED)).aggregate(
            queued=Count("pk", filter=Q(status=Email.Status.QUEUED)),
            failed=Count("pk", filter=Q(status=Email.Status.FAILED)),
            oldest=Min("created_at", filter=Q(status=Email.Status.QUEUED)),
        )
        emails = GaugeMetricFamily(
            "xmasfilms_emails", "Outbox rows waiting (queued) or given up on (failed).", labels=["status"]
        )
        emails.add_metric(["queued"], outbox["queued"])
        emails.add_metric(["failed"], outbox["failed"])
        yield emails
        oldest = (now - outbox["oldest"]).total_seconds() if outbox["oldest"] else 0
        yield GaugeMetricFamily(
            "xmasfilms_emails_oldest_waiting_seconds", "Age of the oldest queued message.", value=max(oldest, 0)
        )
        republish = timedelta(seconds=settings.RUN_REPUBLISH_SECONDS)
        stale_after = run_stale_after()
        runs = GaugeMetricFamily("xmasfilms_runs", "Background runs by state.", labels=["kind", "status"])
        stuck = GaugeMetricFamily(
            "xmasfilms_runs_stuck",
            "Runs running without a heartbeat past their stale limit, or queued and taken by no worker.",
            labels=["kind"],
        )
        for kind, model in (("codes", AccessCodeBatch), ("spreadsheet", DataRun)):
            counts = model.objects.aggregate(
                **{status: Count("pk", filter=Q(status=status)) for status in RunStatus.values},
                stuck=Count(
                    "pk",
                    filter=Q(status=RunStatus.RUNNING, updated_at__lt=now - stale_after)
                    | Q(status=RunStatus.QUEUED, updated_at__lt=now - republish),
                ),
            )
            for status in RunStatus.values:
                runs.add_metric([kind, status], counts[status])
            stuck.add_metric([kind], counts["stuck"])
        yield runs
        yield stuck
