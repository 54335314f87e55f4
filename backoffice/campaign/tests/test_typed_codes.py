"""Codes as people type them: lower case, spaces, missing dashes, O and I for 0 and 1."""

import pytest
from django.urls import reverse

from backoffice.campaign.admin.typed_codes import TypedAccessCodeField
from backoffice.campaign.codes import ALPHABET, CODE_RE, access_code_normalise
from backoffice.campaign.factories import AccessCodeFactory, ReservationFactory
from backoffice.campaign.tests.otp_support import verified_login

CODE = "01BC-DFGH-JK1M-N0QR"
TYPED = [
    "01bc-dfgh-jk1m-n0qr",
    " 01BC DFGH JK1M N0QR ",
    "01BCDFGHJK1MN0QR",
    "OIBC-DFGH-JKIM-NOQR",
    "oibc dfghjkim-noqr",
]


@pytest.mark.parametrize("typed", TYPED)
def test_a_code_typed_loosely_is_the_stored_code(typed):
    assert access_code_normalise(typed) == CODE


@pytest.mark.parametrize(("typed", "prefix"), [("oibc", "01BC"), ("01bc d", "01BC-D"), ("01BC-DFGH-", "01BC-DFGH")])
def test_the_start_of_a_code_is_a_prefix_to_search_by(typed, prefix):
    assert access_code_normalise(typed) == prefix


def test_reading_o_and_i_as_digits_is_unambiguous():
    assert not {"O", "I"} & set(ALPHABET)


def test_text_that_is_no_code_matches_no_code():
    assert not CODE_RE.match(access_code_normalise("Mary Holly"))


@pytest.mark.django_db
@pytest.mark.parametrize("typed", TYPED)
def test_the_typed_field_finds_the_code(typed):
    code = AccessCodeFactory(value=CODE)
    assert TypedAccessCodeField().clean(typed) == code


@pytest.mark.django_db
def test_the_typed_fields_error_gives_an_example_without_vowels():
    field = TypedAccessCodeField()
    message = field.error_messages["invalid_choice"]
    example = message.rsplit("e.g. ", 1)[1].rstrip(".")
    assert CODE_RE.match(example)
    assert not set("AEIOU") & set(example)


@pytest.fixture
def admin_client(client, django_user_model):
    verified_login(client, django_user_model.objects.create_superuser("admin", email=None, password=None))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("typed", TYPED)
def test_the_admin_searches_read_codes_as_typed(admin_client, typed):
    code = AccessCodeFactory(value=CODE)
    AccessCodeFactory(value="ZZZZ-DFGH-JK1M-N0QR")
    reservation = ReservationFactory(access_code=code)
    ReservationFactory()
    codes = admin_client.get(reverse("admin:campaign_accesscode_changelist"), {"q": typed})
    assert list(codes.context["cl"].result_list) == [code]
    bookings = admin_client.get(reverse("admin:campaign_reservation_changelist"), {"q": typed})
    assert list(bookings.context["cl"].result_list) == [reservation]
