"""What each outbox message says and looks like, built from the payload its row was queued with.

A customer message has a plain-text part, an HTML part with each ticket's QR code inline by
Content-ID, and an .ics calendar file; a door list has the list as text, HTML and CSV. QR images
are drawn from the ticket codes (segno) each time a message is built, so none are stored.
"""

import base64
import datetime as dt
import io
from email import encoders
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.utils import format_datetime, parseaddr
from urllib.parse import quote_plus

import segno
from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import SafeMIMEMultipart, SafeMIMEText
from django.template.loader import render_to_string
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText
from PIL import Image
from tablib import Dataset

from backoffice.campaign.models import LONDON, Email
from backoffice.campaign.one_line import header_text
from backoffice.campaign.resources.door_lists import COLUMNS as DOOR_LIST_COLUMNS
from backoffice.campaign.resources.formats import CSV

# Pixels per QR module (about 1 mm on a phone screen, so a door scanner reads it at arm's length)
# and the quiet zone around the code, in modules.
QR_SCALE = 5
QR_BORDER = 2
# segno marks dark modules 1 and light ones 0; a greyscale image wants 0 for black, 255 for white.
_DARK_TO_BLACK = bytes([255, 0]) + bytes(254)
# A film without a running time is put in calendars for this long.
DEFAULT_RUNNING_MINUTES = 120

SUBJECTS = {
    Email.Kind.CONFIRMATION: "Your tickets for {film}, {when}",
    Email.Kind.UPDATE: "Your booking has changed: {film}, {when}",
    Email.Kind.ADDRESS_CHANGED: "Your booking {reference} now goes to another email address",
    Email.Kind.CANCELLATION: "Booking cancelled: {film}, {when}",
    Email.Kind.SCREENING_CANCELLED: "Screening cancelled: {film}, {when}",
    Email.Kind.REMINDER: "Reminder: {film}, {when}",
    Email.Kind.DOOR_LIST: "Door list: {film}, {cinema}, {when}",
}


class OutboxMessage(EmailMessage):
    """A Django message with the MIME structure a ticket email needs, which Django's classes cannot nest.

    multipart/mixed: [multipart/alternative: [text, multipart/related: [HTML, QR images]], .ics].
    Built from Django's MIME classes (fast legacy headers; the SMTP backend's CRLF line endings).
    """

    def __init__(self, mime: SafeMIMEMultipart, *, to: str) -> None:
        super().__init__(subject=mime["Subject"], from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
        self.mime = mime

    def message(self) -> SafeMIMEMultipart:
        return self.mime


def email_message(email: Email) -> OutboxMessage:
    """The message an outbox row sends; the same every time it is built for that row."""
    context = message_context(email.kind, email.payload, message_id=email.message_id)
    template = "door_list" if email.kind == Email.Kind.DOOR_LIST else "customer"
    # Boundaries named here, from the row's unique Message-ID: left unset, the generator draws
    # random ones and compiles a regular expression for each to check it against the body.
    token = email.message_id.strip("<>").split("@")[0]
    html = SafeMIMEMultipart(
        "related",
        boundary=f"==related-{token}==",
        _subparts=[SafeMIMEText(render_to_string(f"campaign/emails/{template}.html", context), "html", "utf-8")],
    )
    for ticket in context["tickets"]:
        image = MIMEImage(ticket["png"], "png")
        image.add_header("Content-ID", f"<{ticket['cid']}>")
        image.add_header("Content-Disposition", "inline", filename=f"{header_text(ticket['code'])}.png")
        html.attach(image)
    text = SafeMIMEText(render_to_string(f"campaign/emails/{template}.txt", context), "plain", "utf-8")
    alternative = SafeMIMEMultipart("alternative", boundary=f"==alternative-{token}==", _subparts=[text, html])
    mime = SafeMIMEMultipart("mixed", boundary=f"==mixed-{token}==", _subparts=[alternative])
    if email.kind in Email.WITH_TICKETS or email.kind == Email.Kind.CANCELLATION:
        method = calendar_method(email.kind, email.payload)
        mime.attach(_attachment(calendar_file(email.kind, email.payload), "calendar", "screening.ics", method=method))
    if email.kind == Email.Kind.DOOR_LIST:
        mime.attach(_attachment(door_list_csv(email.payload).encode(), "csv", "door-list.csv"))
    mime["Subject"] = context["subject"]
    mime["From"] = settings.DEFAULT_FROM_EMAIL
    mime["To"] = email.to
    mime["Date"] = format_datetime((email.created_at or timezone.now()).astimezone(dt.UTC))
    mime["Message-ID"] = email.message_id
    return OutboxMessage(mime, to=email.to)


def _attachment(data: bytes, subtype: str, filename: str, **params: str) -> MIMEBase:
    part = MIMEBase("text", subtype, charset="utf-8", **params)
    part.set_payload(data)
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def message_context(
    kind: str, payload: dict, *, message_id: str = "<preview@localhost>", preview: bool = False
) -> dict:
    """Template context for a message: the payload plus what is derived from it (times, QR images).

    ``preview``: images as data URIs, for showing the HTML in a browser (the admin) rather than a mail client.
    """
    starts_at = dt.datetime.fromisoformat(payload["starts_at"]).astimezone(LONDON)
    when = f"{starts_at:%A %-d %B %Y at %H:%M}"
    # A cancelled screening's message is about that screening; the booking may now be at another.
    about = payload.get("cancelled_screening") or payload
    about_start = dt.datetime.fromisoformat(about["starts_at"]).astimezone(LONDON)
    codes = payload.get("codes", []) if kind in Email.WITH_TICKETS else []
    token = message_id.strip("<>").split("@")[0]
    tickets = []
    for number, code in enumerate(codes, 1):
        png = qr_png(code)
        cid = f"ticket-{number}.{token}@{settings.EMAIL_MESSAGE_ID_DOMAIN}"
        src = f"data:image/png;base64,{base64.b64encode(png).decode()}" if preview else f"cid:{cid}"
        tickets.append({"code": code, "cid": cid, "png": png, "src": src})
    return {
        **payload,
        "kind": kind,
        # On one line whatever the row holds: a name stored before the model refused line breaks
        # must not stop the send (backoffice/campaign/one_line.py).
        "subject": header_text(
            SUBJECTS[kind].format(
                film=about["film"],
                cinema=about["cinema"],
                when=f"{about_start:%a %-d %b %H:%M}",
                reference=payload.get("reference", ""),
            )
        ),
        "when": when,
        "cancelled_when": f"{about_start:%A %-d %B %Y at %H:%M}",
        "starts_at_local": starts_at,
        "map_url": map_url(payload),
        "tickets": tickets,
        "total_seats": sum(row["seats"] for row in payload.get("rows", ())),
    }


def qr_png(code: str) -> bytes:
    """The ticket code as a QR code in a PNG: black modules on white, a quiet zone of QR_BORDER."""
    # Mask pattern fixed: any of the eight decodes, and scoring them all to pick one would cost
    # several times the rest of the message.
    matrix = segno.make(code, error="m", micro=False, mask=0).matrix
    size = len(matrix)
    modules = Image.frombytes("L", (size, size), b"".join(bytes(row).translate(_DARK_TO_BLACK) for row in matrix))
    side = size + 2 * QR_BORDER
    image = Image.new("L", (side, side), 255)
    image.paste(modules, (QR_BORDER, QR_BORDER))
    # Drawn with Pillow rather than segno's own PNG writer, which is pure Python and the slowest
    # step of building a message. Nearest-neighbour scaling keeps the module edges sharp.
    image = image.resize((side * QR_SCALE, side * QR_SCALE), Image.Resampling.NEAREST).convert("1")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def map_url(payload: dict) -> str:
    if payload.get("lat") is not None and payload.get("lng") is not None:
        return f"https://www.openstreetmap.org/?mlat={payload['lat']}&mlon={payload['lng']}#map=17/{payload['lat']}/{payload['lng']}"
    return "https://www.openstreetmap.org/search?query=" + quote_plus(
        f"{payload['cinema']}, {payload.get('address', '')}"
    )


def calendar_method(kind: str, payload: dict) -> str:
    """CANCEL takes the booking's entry out of a calendar; PUBLISH adds it or replaces it (a move)."""
    ended = kind == Email.Kind.CANCELLATION or (kind == Email.Kind.SCREENING_CANCELLED and not payload.get("moved"))
    return "CANCEL" if ended else "PUBLISH"


def calendar_file(kind: str, payload: dict) -> bytes:
    starts_at = dt.datetime.fromisoformat(payload["starts_at"])
    minutes = payload.get("running_time") or DEFAULT_RUNNING_MINUTES
    calendar = Calendar()
    calendar.add("prodid", "-//Xmas Films//Tickets//EN")
    calendar.add("version", "2.0")
    method = calendar_method(kind, payload)
    calendar.add("method", method)
    event = Event()
    # One UID per booking, and a SEQUENCE that grows with each change of it (payload "sequence",
    # the booking's version when the message was queued): a calendar app keeps the entry with the
    # highest, so an update or a cancellation replaces the one it holds, never the other way round.
    event.add("uid", f"{payload['reference']}@{settings.EMAIL_MESSAGE_ID_DOMAIN}")
    event.add("sequence", payload.get("sequence", 0))
    event.add("organizer", _organizer())
    event.add("dtstamp", timezone.now())
    event.add("dtstart", starts_at)
    event.add("dtend", starts_at + dt.timedelta(minutes=minutes))
    event.add("summary", f"{payload['film']} at {payload['cinema']}")
    event.add("location", ", ".join(part for part in (payload["cinema"], payload.get("address", "")) if part))
    event.add("description", f"Booking {payload['reference']}: {payload['seats']} seat(s).")
    if method == "CANCEL":
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()


def _organizer() -> vCalAddress:
    """The campaign's sender address: a cancellation is only honoured from the event's organizer."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["cn"] = vText(name)
    return organizer


def door_list_csv(payload: dict) -> str:
    """The door list as CSV, formulas escaped as in every other export (a name may start with "=")."""
    dataset = Dataset(headers=DOOR_LIST_COLUMNS)
    for row in payload["rows"]:
        dataset.append([row["reference"], row["name"], row["seats"], " ".join(row["codes"])])
    return CSV().export_data(dataset)


#: What the admin's template previews show: invented, but shaped like a real booking.
SAMPLE_BOOKING = {
    "film": "Elf",
    "certificate": "PG",
    "running_time": 97,
    "cinema": "York - Vangarde",
    "address": "Vangarde Shopping Park\nYork YO32 9AE",
    "lat": 53.9897,
    "lng": -1.0556,
    "starts_at": "2026-12-19T14:30:00+00:00",
    "reference": "K7QF3MZP",
    "name": "Mary Holly",
    "seats": 2,
    "codes": ["VUE-0001-4821", "VUE-0001-4822"],
}
SAMPLE_DOOR_LIST = {
    **{key: SAMPLE_BOOKING[key] for key in ("film", "certificate", "running_time", "cinema", "address", "lat", "lng")},
    "starts_at": SAMPLE_BOOKING["starts_at"],
    "rows": [
        {"reference": "K7QF3MZP", "name": "Mary Holly", "seats": 2, "codes": ["VUE-0001-4821", "VUE-0001-4822"]},
        {"reference": "B2XW9TNC", "name": "Nick Frost", "seats": 1, "codes": ["VUE-0001-4823"]},
    ],
}


SAMPLE_SCREENING_CANCELLED = {
    **SAMPLE_BOOKING,
    "starts_at": "2026-12-20T14:30:00+00:00",
    "codes": ["VUE-0001-4821", "VUE-0001-4822"],
    "cancelled_screening": {
        key: SAMPLE_BOOKING[key] for key in ("film", "certificate", "running_time", "cinema", "address", "lat", "lng")
    }
    | {"starts_at": SAMPLE_BOOKING["starts_at"]},
    "reason": "The projector has broken down and cannot be repaired in time.",
    "moved": True,
}


def sample_payload(kind: str) -> dict:
    if kind == Email.Kind.SCREENING_CANCELLED:
        return SAMPLE_SCREENING_CANCELLED
    return SAMPLE_DOOR_LIST if kind == Email.Kind.DOOR_LIST else SAMPLE_BOOKING


def preview_html(kind: str, payload: dict) -> str:
    template = "door_list" if kind == Email.Kind.DOOR_LIST else "customer"
    return render_to_string(f"campaign/emails/{template}.html", message_context(kind, payload, preview=True))
