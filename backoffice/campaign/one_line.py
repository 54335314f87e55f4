"""Text that must stay on one line: names that reach an email subject, a file name or a header.

A line break pasted into a spreadsheet cell (Excel's Alt+Enter), or a vertical tab or file
separator copied from another program, would end a header line early: Python's email package
refuses ``\\r`` and ``\\n`` (the send fails on every try) and passes ``\\x0b`` on, which mail
servers read as a broken continuation line. So such text is refused at the model
(``validate_one_line``, for every field that can reach a header; ``validate_text`` keeps line
breaks for free text that never does), and whatever builds a header passes the text through
``header_text`` as well, so a row stored before the rule still sends.
"""

import re

from django.core.exceptions import ValidationError

# C0 and C1 control characters and DEL, plus Unicode's line and paragraph separators.
_CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029"
_CONTROL_CHARACTER = re.compile(f"[{_CONTROL}]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_OR_SPACE = re.compile(rf"[\s{_CONTROL}]+")
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _refuse(match: re.Match | None, what: str, *, lines: bool = False) -> None:
    if match is None:
        return
    character = match.group()
    if character in _LINE_BREAKS and not lines:
        found = "a line break"
    elif character == "\t":
        found = "a tab"
    else:
        found = f"an invisible control character (U+{ord(character):04X})"
    raise ValidationError(
        f"{what} {found} at character {match.start() + 1}. Remove it and type the text again.",
        code="control_character",
    )


def validate_one_line(value: str) -> None:
    """Refuse line breaks, tabs and other control characters: the text may reach a header."""
    _refuse(_CONTROL_CHARACTER.search(value), "Keep this on one line: it contains")


def validate_text(value: str) -> None:
    """Refuse control characters other than line breaks and tabs, in free text of several lines."""
    _refuse(_CONTROL_BUT_LINES.search(value), "This text contains", lines=True)


def header_text(value: str) -> str:
    """``value`` on one line: each run of control characters and white space becomes one space."""
    return _CONTROL_OR_SPACE.sub(" ", value).strip()
