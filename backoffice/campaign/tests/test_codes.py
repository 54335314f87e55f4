"""The code generator: shape, alphabet, and uniformity of the symbols."""

import secrets
from collections import Counter
from math import sqrt

import pytest

from backoffice.campaign import codes
from backoffice.campaign.codes import ALPHABET, CODE_LENGTH, CODE_RE, SYMBOLS_PER_CODE, access_code_values

# Upper tail of the chi-square distribution at p = 1e-6 (z = 4.753), by the Wilson-Hilferty
# approximation: a fair generator fails it once in a million runs, a biased one every time.
Z_ONE_IN_A_MILLION = 4.753


def chi_square_limit(df: int) -> float:
    return df * (1 - 2 / (9 * df) + Z_ONE_IN_A_MILLION * sqrt(2 / (9 * df))) ** 3


def chi_square(counts: Counter, categories: str) -> float:
    total = sum(counts.values())
    expected = total / len(categories)
    return sum((counts[c] - expected) ** 2 / expected for c in categories)


def test_codes_have_the_published_shape():
    values = access_code_values(50_000)
    assert len(values) == 50_000
    assert all(len(value) == CODE_LENGTH and CODE_RE.match(value) for value in values)


def test_no_vowel_ever_appears():
    symbols = set("".join(access_code_values(50_000)))
    assert symbols <= set(ALPHABET + "-")
    assert not symbols & set("AEIOU")


def test_zero_codes_is_an_empty_list():
    assert access_code_values(0) == []


def test_codes_come_from_the_operating_system_random_source():
    assert codes.random_bytes is secrets.token_bytes


def test_symbols_are_uniform_over_the_alphabet():
    # 20,000 codes are 320,000 symbols: about 10,300 of each of the 31.
    counts = Counter("".join(access_code_values(20_000)).replace("-", ""))
    assert set(counts) == set(ALPHABET)
    assert chi_square(counts, ALPHABET) < chi_square_limit(len(ALPHABET) - 1)


def test_every_position_is_uniform():
    values = [value.replace("-", "") for value in access_code_values(20_000)]
    statistic = sum(
        chi_square(Counter(value[position] for value in values), ALPHABET) for position in range(SYMBOLS_PER_CODE)
    )
    assert statistic < chi_square_limit(SYMBOLS_PER_CODE * (len(ALPHABET) - 1))


def test_the_uniformity_check_catches_modulo_bias():
    # Mapping every byte with "% 31" favours the first 8 symbols (9 bytes each instead of 8).
    biased = Counter(ALPHABET[b % len(ALPHABET)] for b in secrets.token_bytes(320_000))
    assert chi_square(biased, ALPHABET) > chi_square_limit(len(ALPHABET) - 1)


def test_bytes_map_to_symbols_and_the_top_eight_are_rejected(monkeypatch):
    every_byte = bytes(range(256))
    monkeypatch.setattr(codes, "random_bytes", lambda n: (every_byte * (n // 256 + 1))[:n])
    symbols = codes.random_symbols(248 * 2).decode()
    expected = "".join(ALPHABET[b % len(ALPHABET)] for b in range(248))
    assert symbols == expected * 2


def test_a_draw_of_only_rejected_bytes_is_drawn_again(monkeypatch):
    draws = iter([b"\xf8\xff" * 100, bytes(range(31)) * 10])
    monkeypatch.setattr(codes, "random_bytes", lambda n: next(draws))
    assert access_code_values(1) == ["0123-4567-89BC-DFGH"]


@pytest.mark.parametrize("count", [1, 2, 31, 1000])
def test_codes_of_one_draw_differ(count):
    assert len(set(access_code_values(count))) == count
