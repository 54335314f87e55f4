"""The shape of access codes and public references.

Codes use digits and uppercase consonants only: without vowels no word (polite or not) can
form, and 0/O, 1/I confusion is halved.
"""

import re
import secrets

from django.core.validators import RegexValidator

ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXYZ"
GROUPS = 4
GROUP_LENGTH = 4
CODE_LENGTH = GROUPS * GROUP_LENGTH + GROUPS - 1  # "XXXX-XXXX-XXXX-XXXX"
CODE_PATTERN = r"^[0-9B-DF-HJ-NP-TV-Z]{4}(-[0-9B-DF-HJ-NP-TV-Z]{4}){3}$"
CODE_RE = re.compile(CODE_PATTERN)

validate_access_code = RegexValidator(
    CODE_PATTERN,
    message="Enter a code like 7KPB-3XQ9-M2DT-8ZVR: four groups of four digits or consonants.",
)

REFERENCE_LENGTH = 8


def reservation_reference() -> str:
    """A short public reservation reference that says nothing about the row's pk."""
    return "".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_LENGTH))
