"""The outbox: customer emails and door lists, queued with the change that causes them, sent by workers.

Each message is a row of ``Email``, written in the caller's transaction; a task publishes it once
the transaction commits. Sending claims the row with one conditional UPDATE (only a queued row
that is due, pushed ``EMAIL_SEND_LEASE_SECONDS`` into the future), so two deliveries of the same
task, or a worker and the sweeper, never send it twice at the same time. A worker that dies
mid-send leaves the row queued; the sweeper publishes it again once its lease has run out, so
delivery is at least once, and a repeat carries the row's own Message-ID.

See docs/emails.md.
"""

import datetime as dt
import logging
import smtplib
from contextlib import contextmanager
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Prefetch
from django.utils import timezone

from backoffice.campaign import metrics
from backoffice.campaign.models import Email, Reservation, Screening, Ticket

logger = logging.getLogger(__name__)

#: Rows the sweeper publishes per run; the next run takes the rest.
SWEEP_BATCH = 1000
#: The longest wait between two tries of a failing message.
MAX_RETRY_DELAY = dt.timedelta(hours=6)


def reservation_emails_queue(*, reservation: Reservation, before: Reservation | None) -> list[Email]:
    """Queue what the customer must hear about a booking change; call it inside the booking's transaction.

    ``before`` is the reservation as it was before the change (None for a new booking). After a
    booking: a confirmation. After a change of seats, screening or email address: an updated
    confirmation to the (new) address, and a short note to the old address when it changed.
    After a cancellation (quantity 0): a cancellation. Anything else (a corrected name): nothing.
    """
    was_active = before is not None and before.quantity > 0
    if reservation.quantity > 0 and not was_active:
        return [_queue_booking(reservation, Email.Kind.CONFIRMATION)]
    if not was_active:
        return []
    if reservation.quantity == 0:
        # Tickets are already released; the message says which booking ended, not which codes.
        return [_queue_booking(reservation, Email.Kind.CANCELLATION, to=before.email, seats=before.quantity)]
    email_changed = reservation.email.casefold() != before.email.casefold()
    if not email_changed and (reservation.quantity, reservation.screening_id) == (before.quantity, before.screening_id):
        return []
    queued = [_queue_booking(reservation, Email.Kind.UPDATE)]
    if email_changed:
        queued.append(_queue_booking(reservation, Email.Kind.ADDRESS_CHANGED, to=before.email))
    return queued


def screening_cancelled_email_queue(
    *, reservation: Reservation, before: Reservation, cancelled: Screening, reason: str
) -> Email:
    """Tell a customer their screening was cancelled, and where their booking went: the one email of that change.

    Moved (still active): the message names the new screening and carries its tickets. Cancelled
    (quantity 0): it says the booking ended and the access code can book another screening.
    """
    return _queue_booking(
        reservation,
        Email.Kind.SCREENING_CANCELLED,
        to=before.email,
        seats=before.quantity,
        cancelled_screening=_screening_payload(cancelled),
        reason=reason,
        moved=reservation.quantity > 0,
    )


def reservation_confirmation_resend(*, reservation: Reservation) -> Email:
    """Queue the confirmation again (the customer lost it); refused for a cancelled reservation."""
    if reservation.quantity == 0:
        raise ValidationError(f"{reservation.reference} is cancelled: there are no tickets to send.")
    with transaction.atomic():
        return _queue_booking(reservation, Email.Kind.CONFIRMATION)


def email_queue(
    *,
    kind: str,
    to: str,
    payload: dict,
    reservation: Reservation | None = None,
    screening: Screening | None = None,
) -> Email:
    """Write one outbox row and publish it to the workers once the caller's transaction commits."""
    email = Email.objects.create(kind=kind, to=to, payload=payload, reservation=reservation, screening=screening)
    transaction.on_commit(partial(email_publish, email.pk))
    return email


def email_publish(pk: int) -> None:
    from backoffice.campaign.services.runs import run_publish
    from backoffice.campaign.tasks import email_send

    run_publish(email_send, pk)


@contextmanager
def _bookkeeping():
    """One transaction of outbox bookkeeping, committed without waiting for the disk.

    A claim, a "sent" mark, a retry time, a queued reminder with its tickets marked issued: a
    database crash can lose the last moment's transactions whole, never half of one; a lost mark
    means a message is sent again, a lost reminder is queued again by the next beat run. At least
    once still holds. Only here: every other write of the workers (background runs above all)
    waits for the disk as the web processes' do.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO off")
        yield


def email_deliver(pk: int) -> bool:
    """Send one queued message if it is due and nobody else is sending it; True if it went out now."""
    now = timezone.now()
    lease = dt.timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)
    with _bookkeeping():
        claimed = Email.objects.filter(pk=pk, status=Email.Status.QUEUED, next_attempt_at__lte=now).update(
            attempts=F("attempts") + 1, next_attempt_at=now + lease
        )
    if not claimed:
        return False
    email = Email.objects.get(pk=pk)
    try:
        from backoffice.campaign.email_messages import email_message

        _send(email_message(email))
    except Exception as error:
        _record_failure(email, error)
        return False
    with _bookkeeping():
        Email.objects.filter(pk=pk).update(status=Email.Status.SENT, sent_at=timezone.now(), last_error="")
    metrics.EMAILS_SENT.inc()
    return True


def emails_sweep() -> int:
    """Publish queued messages nobody has sent: due retries, sends whose worker died, and rows
    whose publish was lost (broker down at commit time). Returns how many were published."""
    now = timezone.now()
    overdue = now - dt.timedelta(seconds=settings.EMAIL_SWEEP_GRACE_SECONDS)
    with _bookkeeping():
        rows = Email.objects.filter(status=Email.Status.QUEUED, next_attempt_at__lte=overdue).order_by(
            "next_attempt_at"
        )
        # SKIP LOCKED: two beat processes sweeping at once publish different rows.
        pks = list(rows.select_for_update(skip_locked=True).values_list("pk", flat=True)[:SWEEP_BATCH])
        # Due now, so the task may claim it; not overdue again before another grace period.
        Email.objects.filter(pk__in=pks).update(next_attempt_at=now)
    for pk in pks:
        email_publish(pk)
    return len(pks)


def reminders_queue() -> int:
    """Queue a reminder for each active reservation whose screening starts within EMAIL_REMINDER_HOURS.

    None for a booking whose tickets were queued to it inside that window (a same-day booking, a
    late move): the customer has just had them, and a reminder minutes later would only repeat it.
    Once per reservation, by the database: a unique constraint on (reservation) for reminders
    turns a second beat process's attempt into an IntegrityError, which is skipped.
    """
    now = timezone.now()
    lead = dt.timedelta(hours=settings.EMAIL_REMINDER_HOURS)
    tickets_sent_lately = Email.objects.filter(
        reservation=OuterRef("pk"),
        kind__in=Email.WITH_TICKETS - {Email.Kind.REMINDER},
        created_at__gt=OuterRef("screening__starts_at") - lead,
    )
    due = (
        Reservation.objects.filter(
            quantity__gt=0,
            screening__cancelled_at__isnull=True,
            screening__starts_at__gt=now,
            screening__starts_at__lte=now + lead,
        )
        .exclude(Exists(Email.objects.filter(reservation=OuterRef("pk"), kind=Email.Kind.REMINDER)))
        .exclude(Exists(tickets_sent_lately))
        .select_related("screening__film", "screening__cinema")
        .order_by("pk")
    )
    queued = 0
    for reservation in due.iterator(chunk_size=500):
        try:
            with _bookkeeping():
                _queue_booking(reservation, Email.Kind.REMINDER)
        except IntegrityError:
            continue  # another beat process queued it first
        queued += 1
    return queued


def door_lists_queue() -> int:
    """At the booking cut-off, queue each screening's door list to its cinema's contact address, once."""
    now = timezone.now()
    cutoff = dt.timedelta(minutes=getattr(settings, "BOOKING_CUTOFF_MINUTES", 60))
    due = (
        Screening.objects.filter(cancelled_at__isnull=True, starts_at__gt=now, starts_at__lte=now + cutoff)
        .exclude(cinema__contact_email="")
        .exclude(Exists(Email.objects.filter(screening=OuterRef("pk"), kind=Email.Kind.DOOR_LIST)))
        .select_related("film", "cinema")
        .order_by("starts_at", "pk")
    )
    queued = 0
    for screening in due:
        try:
            with transaction.atomic():
                email_queue(
                    kind=Email.Kind.DOOR_LIST,
                    to=screening.cinema.contact_email,
                    payload={**_screening_payload(screening), "rows": door_list_rows(screening=screening)},
                    screening=screening,
                )
        except IntegrityError:
            continue  # another beat process queued it first
        queued += 1
    return queued


def door_list_reservations(*, screening: Screening):
    """The active reservations of a screening with their tickets: the door list, in name order."""
    return (
        Reservation.objects.filter(screening=screening, quantity__gt=0)
        .order_by("name", "reference")
        .prefetch_related(Prefetch("tickets", queryset=Ticket.objects.in_code_order()))
    )


def door_list_rows(*, screening: Screening) -> list[dict]:
    return [
        {
            "reference": reservation.reference,
            "name": reservation.name,
            "seats": reservation.quantity,
            "codes": [ticket.code for ticket in reservation.tickets.all()],
        }
        for reservation in door_list_reservations(screening=screening)
    ]


def _queue_booking(
    reservation: Reservation, kind: str, *, to: str | None = None, seats: int | None = None, **more
) -> Email:
    screening = reservation.screening
    if not _loaded(screening, "film") or not _loaded(screening, "cinema"):
        screening = Screening.objects.select_related("film", "cinema").get(pk=reservation.screening_id)
    codes: list[str] = []
    if kind in Email.WITH_TICKETS:
        held = Ticket.objects.filter(reservation=reservation)
        codes = list(held.in_code_order().values_list("code", flat=True))
        # From now on these codes are out: released later, they are void, never handed out again.
        held.filter(issued_at__isnull=True).update(issued_at=timezone.now())
    payload = {
        **_screening_payload(screening),
        "reference": reservation.reference,
        "name": reservation.name,
        "seats": reservation.quantity if seats is None else seats,
        "codes": codes,
        # The booking's version, for its calendar entry's SEQUENCE: one history row per change
        # (the one that causes this message included), so each change's entry replaces the last.
        "sequence": max(reservation.history.count() - 1, 0),
        **more,
    }
    return email_queue(kind=kind, to=to or reservation.email, payload=payload, reservation=reservation)


def _screening_payload(screening: Screening) -> dict:
    film, cinema = screening.film, screening.cinema
    return {
        "film": film.name,
        "certificate": film.certificate,
        "running_time": film.running_time,
        "cinema": cinema.name,
        "address": cinema.address,
        "lat": cinema.lat,
        "lng": cinema.lng,
        "starts_at": screening.starts_at.isoformat(),
    }


def _loaded(instance, relation: str) -> bool:
    return instance._meta.get_field(relation).is_cached(instance)


def _record_failure(email: Email, error: Exception) -> None:
    reason = f"{type(error).__name__}: {error}"[:2000]
    if email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        logger.error("Giving up on email %s after %s tries: %s", email.pk, email.attempts, reason)
        with _bookkeeping():
            Email.objects.filter(pk=email.pk).update(status=Email.Status.FAILED, last_error=reason)
        return
    delay = min(dt.timedelta(seconds=settings.EMAIL_RETRY_SECONDS * 2 ** (email.attempts - 1)), MAX_RETRY_DELAY)
    logger.warning("Email %s failed (try %s), retrying in %s: %s", email.pk, email.attempts, delay, reason)
    with _bookkeeping():
        Email.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() + delay, last_error=reason)


# One SMTP connection per worker process, kept open between messages: opening one per message
# would cost more than the message. Other backends (files, memory) are opened per message.
_smtp: SMTPBackend | None = None


def _send(message) -> None:
    global _smtp
    connection = get_connection()
    if not isinstance(connection, SMTPBackend):
        connection.send_messages([message])
        return
    if _smtp is not None:
        try:
            _smtp.send_messages([message])
            return
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            # The server closed the connection kept open between messages: once more on a new one.
            _smtp = None
    connection.open()
    _smtp = connection
    try:
        connection.send_messages([message])
    except (smtplib.SMTPServerDisconnected, ConnectionError):
        _smtp = None
        raise
