"""Reading the messages the outbox sends: parts, QR codes, calendar files."""

import io
from email.message import Message

import zxingcpp
from icalendar import Calendar
from PIL import Image


def text_part(message: Message) -> str:
    return _part(message, "text/plain").get_payload(decode=True).decode()


def html_part(message: Message) -> str:
    return _part(message, "text/html").get_payload(decode=True).decode()


def qr_codes(message: Message) -> dict[str, str]:
    """What each inline image decodes to, by its Content-ID."""
    found = {}
    for part in message.walk():
        if part.get_content_type() == "image/png":
            image = Image.open(io.BytesIO(part.get_payload(decode=True)))
            found[part["Content-ID"].strip("<>")] = [result.text for result in zxingcpp.read_barcodes(image)]
    return {cid: texts[0] for cid, texts in found.items() if len(texts) == 1}


def calendar(message: Message) -> Calendar:
    return Calendar.from_ical(_part(message, "text/calendar").get_payload(decode=True))


def _part(message: Message, content_type: str) -> Message:
    parts = [part for part in message.walk() if part.get_content_type() == content_type]
    assert len(parts) == 1, f"expected one {content_type} part, found {len(parts)}"
    return parts[0]
