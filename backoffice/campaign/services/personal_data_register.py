"""The register of every place customers' personal data lives, and what happens to each.

A customer's name, email and IP address are typed into a reservation and copied from there:
into its history, the outbox, message files, the admin's log, spreadsheet runs' files and the
files staff download. Each copy is one ``Place`` below, with how it is erased on request, how
retention anonymises it and what of it a subject access copy holds. Erasure, retention and
subject access (services/personal_data.py) iterate ``PLACES``; docs/personal-data.md shows them
as a table (``places_table``). A new place is one more entry here, and a model with a field
that looks like a name, an email or an IP address fails a test until it has an entry, or an
``Exclusion`` saying why it is not a customer's.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from functools import cached_property
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from backoffice.campaign.models import DataRun, Email, Reservation, private_storage

ERASED_NAME = "Erased"
# .invalid can never be delivered to (RFC 2606), and one address per reference keeps the
# one-active-booking-per-email constraint satisfied without a special case.
ERASED_DOMAIN = "erased.invalid"


def erased_email(reference: str) -> str:
    return f"erased-{reference.lower()}@{ERASED_DOMAIN}"


class Scrubber:
    """Replaces the people's addresses wherever they occur, and their names where a value is one.

    Names are matched whole: a short name must not eat into a film's ("Al" in "Aladdin").
    """

    def __init__(self, rows: list[Reservation], *, also: list[str] = ()) -> None:
        self.names = {r.name.strip().lower(): ERASED_NAME for r in rows if r.name.strip()}
        self.addresses: dict[str, str] = {r.email.lower(): erased_email(r.reference) for r in rows}
        self.references = {r.reference.lower() for r in rows}
        # Every address and name the people had: ones asked about, ones mailed, earlier versions.
        pks = [r.pk for r in rows]
        earlier = Reservation.history.filter(id__in=pks)
        mailed = Email.objects.filter(reservation__in=pks).values_list("to", flat=True)
        self.add_addresses([*also, *mailed, *earlier.values_list("email", flat=True)])
        self.add_names(earlier.values_list("name", flat=True))

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

    def names_in(self, cells) -> bool:
        """Whether any cell is one of the names, or holds an address or reference."""
        needles = [*self.addresses, *self.references]
        return any(
            cell.strip().lower() in self.names or any(needle in cell.lower() for needle in needles) for cell in cells
        )

    def address_pattern(self) -> str:
        return "|".join(re.escape(address) for address in sorted(self.addresses))


@dataclass
class Job:
    """One anonymisation: the reservations (locked, still holding their data) and why."""

    rows: list[Reservation]
    scrub: Scrubber
    erasure: bool  # on request; otherwise retention after the screening

    @cached_property
    def pks(self) -> list[int]:
        return [r.pk for r in self.rows]

    @property
    def why(self) -> str:
        if self.erasure:
            return "it held personal data of a customer whose data was erased"
        return "it held personal data of customers past the retention period after their screening"


@dataclass
class Person:
    """Whom a subject access copy is about: the address they booked with, and those bookings."""

    email: str
    reservations: list[Reservation]

    @cached_property
    def pks(self) -> list[int]:
        return [r.pk for r in self.reservations]

    @cached_property
    def emails(self) -> list[Email]:
        touching = Q(reservation__in=self.pks) | Q(to__iexact=self.email)
        return list(Email.objects.filter(touching).order_by("created_at", "pk"))


@dataclass(frozen=True)
class Place:
    """Where personal data lives and what each operation does to it; subclasses do the work."""

    title: str
    holds: str
    erasure: str
    retention: str
    access: str
    # "app_label.Model.field": the columns this place answers for (the completeness test).
    columns: tuple[str, ...] = ()
    # Counted in the summary staff are shown ("3 email(s) in the outbox"); empty: not counted.
    unit: str = ""
    # Its list in a subject access copy; empty: it adds none.
    access_key: str = ""

    def anonymise(self, job: Job) -> int:
        return 0

    def export(self, person: Person) -> list[dict]:
        return []

    def counted(self, count: int) -> str:
        return f"{count} {self.unit}"


class Reservations(Place):
    def anonymise(self, job: Job) -> int:
        for reservation in job.rows:
            reservation.name = ERASED_NAME
            reservation.email = erased_email(reservation.reference)
            reservation.ip_address = None
        Reservation.objects.bulk_update(job.rows, ["name", "email", "ip_address"])
        return len(job.rows)

    def export(self, person: Person) -> list[dict]:
        return [
            {
                "reference": r.reference,
                "booked_at": r.created_at.isoformat(),
                "name": r.name,
                "email": r.email,
                "ip_address": r.ip_address,
                "screening": str(r.screening),
                "seats": r.quantity,
                "access_code": r.access_code.value,
                "tickets": sorted(ticket.code for ticket in r.tickets.all()),
            }
            for r in person.reservations
        ]


class ReservationHistory(Place):
    def anonymise(self, job: Job) -> int:
        # Every earlier version of each row held the same person's data.
        history = Reservation.history.model
        for reservation in job.rows:
            history.objects.filter(id=reservation.pk).update(
                name=reservation.name, email=reservation.email, ip_address=None
            )
        return 0

    def export(self, person: Person) -> list[dict]:
        versions = Reservation.history.filter(id__in=person.pks).select_related("history_user")
        return [
            {
                "at": version.history_date.isoformat(),
                "by": version.history_user.get_username() if version.history_user else None,
                "change": version.get_history_type_display(),
                "reference": version.reference,
                "name": version.name,
                "email": version.email,
                "ip_address": version.ip_address,
                "screening_id": version.screening_id,
                "seats": version.quantity,
            }
            for version in versions.order_by("history_date")
        ]


class Outbox(Place):
    def anonymise(self, job: Job) -> int:
        scrub = job.scrub
        # The reservations' own messages, messages to their addresses, and the door lists naming them.
        touching = Q(reservation__in=job.pks) | Q(to__iregex=f"^({scrub.address_pattern()})$")
        touching |= Q(kind=Email.Kind.DOOR_LIST, screening__in={r.screening_id for r in job.rows})
        changed = []
        for email in Email.objects.filter(touching).order_by("pk"):
            # An SMTP server's refusal, kept as it answered, may quote the address.
            to, payload, last_error = scrub.text(email.to), scrub.json(email.payload), scrub.text(email.last_error)
            if (to, payload, last_error) == (email.to, email.payload, email.last_error):
                continue
            email.last_error = last_error
            if email.status == Email.Status.QUEUED and to != email.to:
                # Its address no longer reaches anyone: sending it would only bounce.
                email.status, email.last_error = Email.Status.FAILED, "Not sent: the recipient's data was erased."
            email.to, email.payload = to, payload
            changed.append(email)
        Email.objects.bulk_update(changed, ["to", "payload", "status", "last_error"])
        return len(changed)

    def export(self, person: Person) -> list[dict]:
        return [
            {
                "queued_at": e.created_at.isoformat(),
                "kind": e.get_kind_display(),
                "to": e.to,
                "status": e.get_status_display(),
                "sent_at": e.sent_at.isoformat() if e.sent_at else None,
                "content": e.payload,
            }
            for e in person.emails
        ]


class MailFiles(Place):
    def anonymise(self, job: Job) -> int:
        # The outbox keeps each message's text as its (scrubbed) row, so a deleted file loses
        # nothing the admin shows. A door list names the person by name and reference only.
        folder = Path(getattr(settings, "EMAIL_FILE_PATH", "") or "")
        needles = [*job.scrub.addresses, *job.scrub.references]
        if not folder.is_dir():
            return 0
        deleted = 0
        for path in sorted(folder.iterdir()):
            if path.is_file() and any(needle in message_text(path) for needle in needles):
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted


def message_text(path: Path) -> str:
    """A message file's headers and decoded parts, lower case: bodies may be base64 or quoted-printable."""
    raw = path.read_bytes()
    texts = [raw.decode("utf-8", "replace")]
    for part in message_from_bytes(raw).walk():
        body = part.get_payload(decode=True)
        if isinstance(body, bytes):
            texts.append(body.decode("utf-8", "replace"))
    return "\n".join(texts).lower()


class AdminLog(Place):
    def anonymise(self, job: Job) -> int:
        """Entries describing the reservations (their old descriptions held the name) or naming an address."""
        scrub = job.scrub
        reservation_type = ContentType.objects.get_for_model(Reservation)
        by_pk = {str(r.pk): r for r in job.rows}
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

    def export(self, person: Person) -> list[dict]:
        log = LogEntry.objects.filter(
            Q(content_type=ContentType.objects.get_for_model(Reservation), object_id__in=[str(pk) for pk in person.pks])
            | Q(content_type=ContentType.objects.get_for_model(Email), object_id__in=[str(e.pk) for e in person.emails])
        ).select_related("user")
        return [
            {
                "at": entry.action_time.isoformat(),
                "by": entry.user.get_username(),
                "action": {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}[entry.action_flag],
                "object": entry.object_repr,
                "change": entry.get_change_message(),
            }
            for entry in log.order_by("action_time", "pk")
        ]

    def counted(self, count: int) -> str:
        return f"{count} admin log entr{'y' if count == 1 else 'ies'}"


class RunFiles(Place):
    """Files of spreadsheet runs of a list that holds personal data, and the search they were made with."""

    def anonymise(self, job: Job) -> int:
        storage = private_storage()
        removed = 0
        runs = DataRun.objects.filter(content_type=ContentType.objects.get_for_model(Reservation))
        for run in runs.exclude(upload_file="", result_file="", parameters__query="").order_by("pk"):
            names = [name for name in (run.upload_file.name, run.result_file.name) if name]
            search = " ".join(value for _, value in parse_qsl(run.parameters.get("query", "")))
            if not any(job.scrub.names_in(_cells(name)) for name in names) and not job.scrub.names_in([search]):
                continue
            for name in names:
                storage.delete(name)
            # The list's filters stay (they say what was exported); its search may have named the person.
            query = urlencode([(key, value) for key, value in parse_qsl(run.parameters.get("query", "")) if key != "q"])
            DataRun.objects.filter(pk=run.pk).update(
                upload_file="",
                result_file="",
                parameters={**run.parameters, "query": query},
                message=f"The file was removed on {timezone.localdate():%Y-%m-%d} because {job.why}.",
            )
            removed += len(names)
        return removed


def _cells(name: str) -> list[str]:
    """Every cell of a run's CSV or XLSX file, as text; none if the file is gone."""
    if not private_storage().exists(name):
        return []
    with private_storage().open(name, "rb") as file:
        raw = file.read()
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        return [str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    text = raw.decode("utf-8-sig", "replace")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@dataclass(frozen=True)
class Exclusion:
    """Columns that look like a customer's personal data but are not, and why."""

    columns: tuple[str, ...]
    why: str


RESERVATION_COLUMNS = ("campaign.Reservation.name", "campaign.Reservation.email", "campaign.Reservation.ip_address")

PLACES: tuple[Place, ...] = (
    Reservations(
        title="Reservations",
        holds="Name, email, IP address (bookings made online)",
        erasure="Name `Erased`, email `erased-<reference>@erased.invalid`, IP address empty",
        retention="The same, for screenings that ended `PERSONAL_DATA_RETENTION_DAYS` ago",
        access="`reservations`: every booking with its screening, seats, code and tickets",
        columns=RESERVATION_COLUMNS,
        unit="reservation(s)",
        access_key="reservations",
    ),
    ReservationHistory(
        title="Reservation history",
        holds="Every earlier version of each reservation",
        erasure="Every version gets the anonymous values; one more version names who erased",
        retention="Every version gets the anonymous values",
        access="`history`: every version, with who made it",
        columns=tuple(column.replace("Reservation", "HistoricalReservation") for column in RESERVATION_COLUMNS),
        access_key="history",
    ),
    Outbox(
        title="Outbox",
        holds="`Email.to`, `payload` and `last_error` of the person's messages and of door lists naming them",
        erasure="Addresses and names rewritten; a message still queued to the person is marked failed",
        retention="The same",
        access="`emails`: every message about the bookings or to the address, with its content",
        columns=("campaign.Email.to", "campaign.Email.payload", "campaign.Email.last_error"),
        unit="email(s) in the outbox",
        access_key="emails",
    ),
    MailFiles(
        title="Message files",
        holds="Sent messages under `EMAIL_FILE_PATH` (file email backend only)",
        erasure="Every file holding an address or reference is deleted",
        retention="The same",
        access="Not copied: the outbox row holds the same message",
        unit="email file(s)",
    ),
    AdminLog(
        title="Admin log",
        holds="`LogEntry.object_repr` and `change_message` (entries from before descriptions dropped names)",
        erasure="Entries about the bookings or naming an address are rewritten",
        retention="The same",
        access="`changes_by_staff`: staff changes to the bookings and their emails",
        columns=("admin.LogEntry.object_repr", "admin.LogEntry.change_message"),
        unit="admin log entries",
        access_key="changes_by_staff",
    ),
    RunFiles(
        title="Spreadsheet runs",
        holds="Reservation exports made by the workers (`data/private/data-runs/<id>/`), and the list's "
        "search they were asked with",
        erasure="A run whose file or search holds the person loses both; its page says when and why",
        retention="The same, for anonymised reservations; every run's files go `DATA_RUN_FILE_RETENTION_DAYS` "
        "after it ended",
        access="Not copied: the rows are the bookings above",
        columns=("campaign.DataRun.result_file", "campaign.DataRun.parameters"),
        unit="spreadsheet run file(s)",
    ),
    Place(
        title="Application logs",
        holds="Workers' and web processes' log lines (standard error): rows by number, never by name or "
        "address; an SMTP server's refusal is logged as it answered and may quote the address",
        erasure="Not by the application: rotated by whoever collects them (see below)",
        retention="The same",
        access="Not copied",
    ),
    Place(
        title="Downloads",
        holds="Inline exports, door lists, run results and subject access copies, made per request",
        erasure="Never kept on the server; each download is in the imports and exports log (who, when, what, "
        "rows), which holds no customer data",
        retention="The same",
        access="Not copied",
    ),
)

OUT_OF_SCOPE: tuple[Exclusion, ...] = (
    Exclusion(
        columns=(
            *(f"auth.User.{name}" for name in ("username", "first_name", "last_name", "email")),
            *(
                f"axes.{log}.{name}"
                for log in ("AccessAttempt", "AccessLog", "AccessFailureLog")
                for name in ("username", "ip_address")
            ),
            "otp_totp.TOTPDevice.name",
            "otp_static.StaticDevice.name",
        ),
        why="Staff accounts, their logins (with IP addresses) and their second factors: staff's own "
        "data, kept for the account's life and the login lockout, managed by whoever manages the accounts",
    ),
    Exclusion(
        columns=(
            "campaign.Cinema.contact_email",
            "campaign.HistoricalCinema.contact_email",
            "campaign.CampaignContact.email",
        ),
        why="Business addresses of cinemas and of the campaign, not of customers",
    ),
    Exclusion(
        columns=(
            "campaign.Film.name",
            "campaign.HistoricalFilm.name",
            "campaign.Cinema.name",
            "campaign.HistoricalCinema.name",
            "auth.Group.name",
            "auth.Permission.name",
            "admin_interface.Theme.name",
        ),
        why="Names of things, not of people",
    ),
)


def covered_columns() -> set[str]:
    return {column for entry in (*PLACES, *OUT_OF_SCOPE) for column in entry.columns}


def places_table() -> str:
    """The register as the Markdown table docs/personal-data.md shows."""
    lines = [
        "| Place | Holds | Erasure on request | Retention | Subject access copy |",
        "|---|---|---|---|---|",
        *(f"| {p.title} | {p.holds} | {p.erasure} | {p.retention} | {p.access} |" for p in PLACES),
        "",
        "| Not customers' data | Why |",
        "|---|---|",
        *(f"| {', '.join(f'`{c}`' for c in e.columns)} | {e.why} |" for e in OUT_OF_SCOPE),
    ]
    return "\n".join(lines)


@dataclass
class Anonymised:
    """What one anonymisation changed, place by place, for the message staff are shown."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def reservations(self) -> int:
        return self.counts.get(PLACES[0].title, 0)

    def add(self, other: "Anonymised") -> None:
        for title, count in other.counts.items():
            self.counts[title] = self.counts.get(title, 0) + count

    def __str__(self) -> str:
        parts = [place.counted(self.counts.get(place.title, 0)) for place in PLACES if place.unit]
        return f"{', '.join(parts[:-1])} and {parts[-1]}"
