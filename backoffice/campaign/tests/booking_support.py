"""Test helpers for booking rules: a refused request must leave the database as it was."""

import pytest
from django.core.exceptions import ValidationError

from backoffice.campaign.models import Reservation, Ticket


def state() -> tuple[list, list]:
    """Every reservation and every ticket link, to show a refused request changed nothing."""
    reservations = list(
        Reservation.objects.order_by("pk").values_list(
            "pk", "screening_id", "access_code_id", "quantity", "name", "email"
        )
    )
    tickets = list(Ticket.objects.order_by("pk").values_list("pk", "reservation_id"))
    return reservations, tickets


def refused(call, *args, **kwargs) -> dict[str, list[str]]:
    """The ValidationError's messages of ``call``, which must have written nothing."""
    before = state()
    with pytest.raises(ValidationError) as error:
        call(*args, **kwargs)
    assert state() == before, "a refused request changed the database"
    return error.value.message_dict
