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

SYMBOLS_PER_CODE = GROUPS * GROUP_LENGTH

# Rejection sampling: a random byte b < 248 (the largest multiple of 31 that fits in a byte)
# maps to ALPHABET[b % 31], so every symbol has exactly 8 bytes behind it; bytes 248..255 are
# dropped. Mapping "b % 31" over all 256 bytes would make the first 8 symbols more likely.
_ACCEPT_BELOW = 256 - 256 % len(ALPHABET)
_SYMBOL_OF_BYTE = bytes(ord(ALPHABET[b % len(ALPHABET)]) if b < _ACCEPT_BELOW else 0 for b in range(256))
_REJECTED_BYTES = bytes(range(_ACCEPT_BELOW, 256))

# The one source of randomness for codes (os.urandom underneath). A module attribute, so tests
# can swap in a predictable source to force collisions.
random_bytes = secrets.token_bytes

# No code holds a vowel, so a typed O or I can only be the digit 0 or 1 read as a letter.
_TYPED_AS_LETTERS = str.maketrans({"O": "0", "I": "1"})

REFERENCE_LENGTH = 8
REFERENCE_RE = re.compile(f"^[{ALPHABET}]{{{REFERENCE_LENGTH}}}$")

# A screening's short code, read out on the phone or copied from a screen: no vowels (no words
# form), and none of the symbols people take for another (0 O, 1 I L, 2 Z, 5 S, 8 B).
SCREENING_CODE_ALPHABET = "34679CDFGHJKMNPQRTVWXY"
SCREENING_CODE_LENGTH = 6
SCREENING_CODE_RE = re.compile(f"^[{SCREENING_CODE_ALPHABET}]{{{SCREENING_CODE_LENGTH}}}$")


def access_code_normalise(text: str) -> str:
    """A code as people type it, in the stored form: ``" 7kpb 3xq9-m2dt8zvr "`` -> ``"7KPB-3XQ9-M2DT-8ZVR"``.

    Upper case, spaces and dashes dropped, O and I read as 0 and 1, then a dash after every four
    symbols: a whole code comes out whole, the start of one as a prefix to search by. The one
    place typed codes are read: the typed field, the admin's searches and the lists of codes to
    withdraw all go through here. Text that is no code comes out tidied, and matches none.
    """
    symbols = "".join(text.split()).replace("-", "").upper().translate(_TYPED_AS_LETTERS)
    return "-".join(symbols[start : start + GROUP_LENGTH] for start in range(0, len(symbols), GROUP_LENGTH))


def reservation_reference() -> str:
    """A short public reservation reference that says nothing about the row's pk."""
    return "".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_LENGTH))


def screening_code() -> str:
    """A short code for a screening (about 113 million of them); ``Screening.save`` makes it unique."""
    return "".join(secrets.choice(SCREENING_CODE_ALPHABET) for _ in range(SCREENING_CODE_LENGTH))


def screening_codes(count: int) -> list[str]:
    """``count`` distinct screening codes, for screenings written in bulk (``bulk_create`` calls no ``save``)."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(screening_code())
    return list(codes)


def random_symbols(count: int) -> bytes:
    """``count`` symbols of ALPHABET as ASCII bytes, each uniform and independent.

    Random bytes are drawn in bulk and mapped by ``bytes.translate``, which also deletes the
    rejected ones.
    """
    symbols = bytearray()
    while len(symbols) < count:
        missing = count - len(symbols)
        # 3% of bytes are rejected: ask for a little more so one draw is nearly always enough.
        symbols += random_bytes(missing + missing // 16 + 8).translate(_SYMBOL_OF_BYTE, _REJECTED_BYTES)
    del symbols[count:]
    return bytes(symbols)


def access_code_values(count: int) -> list[str]:
    """``count`` random codes ``XXXX-XXXX-XXXX-XXXX`` (about 79 bits each; not checked for uniqueness)."""
    if count <= 0:
        return []
    symbols = random_symbols(count * SYMBOLS_PER_CODE)
    # Lay the codes out as lines of one buffer with strided slice assignments: symbol j of
    # every code goes to column j + j // GROUP_LENGTH, dashes and newlines between.
    line = CODE_LENGTH + 1
    text = bytearray(line * count)
    for j in range(SYMBOLS_PER_CODE):
        text[j + j // GROUP_LENGTH :: line] = symbols[j::SYMBOLS_PER_CODE]
    for group in range(1, GROUPS):
        text[group * (GROUP_LENGTH + 1) - 1 :: line] = b"-" * count
    text[CODE_LENGTH::line] = b"\n" * count
    return text[:-1].decode("ascii").split("\n")
