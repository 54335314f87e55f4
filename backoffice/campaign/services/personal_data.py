"""Customers' personal data: erasure on request and anonymisation after the screening.

One anonymisation for both: a reservation keeps its screening, seats, code and tickets (the
campaign's reporting), and loses the name, email and IP address it was booked with, wherever
they were copied: the outbox's rows and message files, and the admin's log.
"""

import datetime as dt
import re
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backoffice.campaign.models import Email, Reservation, Screening

ERASED_NAME = "Erased"
# .invalid can never be delivered to (RFC 2606), and one address per reference keeps the
# one-active-booking-per-email constraint satisfied without a special case.
ERASED_DOMAIN = "erased.invalid"
ANONYMISE_CHUNK = 500
ERASURE_REASON = "Personal data erased on request"


def erased_email(reference: str) -> str:
    return f"erased-{reference.lower()}@{ERASED_DOMAIN}"


@dataclass
class Anonymised:
    """What one run changed, for the message staff are shown."""

    reservations: int = 0
    emails: int = 0
    log_entries: int = 0
    files: int = 0

    def add(self, other: "Anonymised") -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)

    def __str__(self) -> str:
        return (
            f"{self.reservations} reservation(s), {self.emails} email(s) in the outbox, "
            f"{self.log_entries} admin log entr{'y' if self.log_entries == 1 else 'ies'} "
            f"and {self.files} email file(s)"
        )


def personal_data_erase(*, email: str, by: AbstractBaseUser | None = None) -> Anonymised:
    """Erase everything held about the person booking with ``email`` (any case), now or before.

    ``by``: the staff member who asked, named on the history row each reservation gets.
    """
    email = email.strip()
    # An address the booking was changed away from still names the person (its history holds it).
    earlier = Reservation.history.filter(email__iexact=email).values("id")
    reservations = Reservation.objects.filter(Q(email__iexact=email) | Q(pk__in=earlier))
    if not email or not reservations.exists():
        raise ValidationError(
            f"No reservation was booked with the email address {email!r}; nothing was erased. "
            "Check the spelling, or search the reservations by name to find the address used."
        )
    with transaction.atomic():
        pks = list(reservations.values_list("pk", flat=True))
        erased = reservations_anonymise(reservations=reservations, also=[email])
        # Who erased whom stays on record; the row holds only the anonymous values.
        Reservation.history.bulk_history_create(
            Reservation.objects.filter(pk__in=pks), update=True, default_user=by, default_change_reason=ERASURE_REASON
        )
    return erased


def reservations_anonymise(*, reservations: QuerySet[Reservation], also: list[str] = ()) -> Anonymised:
    """Replace the name, email and IP address of ``reservations`` wherever they were kept.

    ``also``: other strings that identify the person (the address asked to be erased), scrubbed
    from the same places. Reservations already anonymised are left alone, so a repeat run changes
    nothing.
    """
    result = Anonymised()
    with transaction.atomic():
        rows = list(reservations.exclude(email__iendswith=f"@{ERASED_DOMAIN}").select_for_update().order_by("pk"))
        if not rows:
            return result
        scrub = _Scrubber(rows)
        emails = Email.objects.filter(reservation__in=[r.pk for r in rows])
        earlier = Reservation.history.filter(id__in=[r.pk for r in rows])
        scrub.add_addresses([*also, *emails.values_list("to", flat=True), *earlier.values_list("email", flat=True)])
        scrub.add_names(earlier.values_list("name", flat=True))
        for reservation in rows:
            reservation.name = ERASED_NAME
            reservation.email = erased_email(reservation.reservation_id)
            reservation.ip_address = None
        Reservation.objects.bulk_update(rows, ["name", "email", "ip_address"])
        # Their history too: every earlier version of each row held the same person's data.
        history = Reservation.history.model
        for reservation in rows:
            history.objects.filter(id=reservation.pk).update(
                name=reservation.name, email=reservation.email, ip_address=None
            )
        result.reservations = len(rows)
        result.emails = _scrub_emails(rows, scrub)
        result.log_entries = _scrub_log(rows, scrub)
        result.files = _delete_files([*scrub.addresses, *(r.reservation_id.lower() for r in rows)])
    return result


def reservations_anonymise_ended(*, days: int) -> Anonymised:
    """Anonymise the reservations of every screening that ended more than ``days`` ago."""
    cutoff = timezone.now() - dt.timedelta(days=days)
    started = Screening.objects.filter(starts_at__lt=cutoff).values_list("pk", "starts_at", "film__running_time")
    ended = [pk for pk, starts_at, minutes in started if starts_at + dt.timedelta(minutes=minutes or 0) < cutoff]
    pending = Reservation.objects.filter(screening__in=ended).exclude(email__iendswith=f"@{ERASED_DOMAIN}")
    total = Anonymised()
    # In chunks: each is one short transaction whose queries name a bounded number of people.
    while pks := list(pending.order_by("pk").values_list("pk", flat=True)[:ANONYMISE_CHUNK]):
        total.add(reservations_anonymise(reservations=Reservation.objects.filter(pk__in=pks)))
    return total


class _Scrubber:
    """Replaces the people's addresses wherever they occur, and their names where a value is one.

    Names are matched whole: a short name must not eat into a film's ("Al" in "Aladdin").
    """

    def __init__(self, rows: list[Reservation]) -> None:
        self.names = {r.name.strip().lower(): ERASED_NAME for r in rows if r.name.strip()}
        self.addresses: dict[str, str] = {r.email.lower(): erased_email(r.reservation_id) for r in rows}

    def add_names(self, names) -> None:
        for name in names:
            if name.strip():
                self.names.setdefault(name.strip().lower(), ERASED_NAME)

    def add_addresses(self, addresses) -> None:
        for address in addresses:
            if "@" in address:
                self.addresses.setdefault(address.strip().lower(), f"erased@{ERASED_DOMAIN}")

    def text(self, value: str) -> str:
        for address, new in sorted(self.addresses.items(), key=lambda item: -len(item[0])):
            value = re.sub(re.escape(address), new, value, flags=re.IGNORECASE)
        return value

    def json(self, value):
        if isinstance(value, dict):
            return {key: self.json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, str):
            return self.names.get(value.strip().lower()) or self.text(value)
        return value

    def address_pattern(self) -> str:
        return "|".join(re.escape(address) for address in sorted(self.addresses))


def _scrub_emails(rows: list[Reservation], scrub: _Scrubber) -> int:
    # The reservations' own messages, messages to their addresses, and the door lists naming them.
    touching = Q(reservation__in=[r.pk for r in rows]) | Q(to__iregex=f"^({scrub.address_pattern()})$")
    touching |= Q(kind=Email.Kind.DOOR_LIST, screening__in={r.screening_id for r in rows})
    changed = []
    for email in Email.objects.filter(touching).order_by("pk"):
        to, payload = scrub.text(email.to), scrub.json(email.payload)
        if (to, payload) == (email.to, email.payload):
            continue
        if email.status == Email.Status.QUEUED and to != email.to:
            # Its address no longer reaches anyone: sending it would only bounce.
            email.status, email.last_error = Email.Status.FAILED, "Not sent: the recipient's data was erased."
        email.to, email.payload = to, payload
        changed.append(email)
    Email.objects.bulk_update(changed, ["to", "payload", "status", "last_error"])
    return len(changed)


def _scrub_log(rows: list[Reservation], scrub: _Scrubber) -> int:
    """Admin log entries describing the reservations (their old descriptions held the name) or naming an address."""
    reservation_type = ContentType.objects.get_for_model(Reservation)
    by_pk = {str(r.pk): r for r in rows}
    mentions = Q(content_type=reservation_type, object_id__in=by_pk)
    for address in scrub.addresses:
        mentions |= Q(object_repr__icontains=address) | Q(change_message__icontains=address)
    changed = []
    for entry in LogEntry.objects.filter(mentions).order_by("pk"):
        reservation = by_pk.get(entry.object_id) if entry.content_type_id == reservation_type.pk else None
        object_repr = str(reservation)[:200] if reservation else scrub.text(entry.object_repr)
        change_message = scrub.text(entry.change_message)
        if (object_repr, change_message) != (entry.object_repr, entry.change_message):
            entry.object_repr, entry.change_message = object_repr, change_message
            changed.append(entry)
    LogEntry.objects.bulk_update(changed, ["object_repr", "change_message"])
    return len(changed)


def _delete_files(needles: list[str]) -> int:
    """Delete the message files (the file backend's, under make run) holding an address or reference.

    A door list names the person by name and reference only; the outbox keeps each message's
    text as its (scrubbed) row, so a deleted file loses nothing the admin shows.
    """
    folder = Path(getattr(settings, "EMAIL_FILE_PATH", "") or "")
    if not needles or not folder.is_dir():
        return 0
    deleted = 0
    for path in sorted(folder.iterdir()):
        if path.is_file() and any(needle in _message_text(path) for needle in needles):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def _message_text(path: Path) -> str:
    """A message file's headers and decoded parts, lower case: bodies may be base64 or quoted-printable."""
    raw = path.read_bytes()
    texts = [raw.decode("utf-8", "replace")]
    for part in message_from_bytes(raw).walk():
        body = part.get_payload(decode=True)
        if isinstance(body, bytes):
            texts.append(body.decode("utf-8", "replace"))
    return "\n".join(texts).lower()


def personal_data_export(*, email: str) -> dict:
    """Everything held about the person booking with ``email`` (any case): a subject access copy."""
    reservations = list(
        Reservation.objects.filter(email__iexact=email.strip())
        .select_related("screening__film", "screening__cinema", "access_code")
        .prefetch_related("tickets")
        .order_by("created_at", "pk")
    )
    pks = [r.pk for r in reservations]
    emails = list(Email.objects.filter(Q(reservation__in=pks) | Q(to__iexact=email.strip())).order_by("created_at"))
    log = LogEntry.objects.filter(
        Q(content_type=ContentType.objects.get_for_model(Reservation), object_id__in=[str(pk) for pk in pks])
        | Q(content_type=ContentType.objects.get_for_model(Email), object_id__in=[str(e.pk) for e in emails])
    ).select_related("user")
    versions = Reservation.history.filter(id__in=pks).select_related("history_user").order_by("history_date")
    return {
        "email": email.strip(),
        "exported_at": timezone.now().isoformat(),
        "reservations": [
            {
                "reference": r.reservation_id,
                "booked_at": r.created_at.isoformat(),
                "name": r.name,
                "email": r.email,
                "ip_address": r.ip_address,
                "screening": str(r.screening),
                "seats": r.quantity,
                "access_code": r.access_code.value,
                "tickets": sorted(ticket.code for ticket in r.tickets.all()),
            }
            for r in reservations
        ],
        "emails": [
            {
                "queued_at": e.created_at.isoformat(),
                "kind": e.get_kind_display(),
                "to": e.to,
                "status": e.get_status_display(),
                "sent_at": e.sent_at.isoformat() if e.sent_at else None,
                "content": e.payload,
            }
            for e in emails
        ],
        "history": [
            {
                "at": version.history_date.isoformat(),
                "by": version.history_user.get_username() if version.history_user else None,
                "change": version.get_history_type_display(),
                "reference": version.reservation_id,
                "name": version.name,
                "email": version.email,
                "ip_address": version.ip_address,
                "screening_id": version.screening_id,
                "seats": version.quantity,
            }
            for version in versions
        ],
        "changes_by_staff": [
            {
                "at": entry.action_time.isoformat(),
                "by": entry.user.get_username(),
                "action": {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}[entry.action_flag],
                "object": entry.object_repr,
                "change": entry.get_change_message(),
            }
            for entry in log.order_by("action_time", "pk")
        ],
    }
