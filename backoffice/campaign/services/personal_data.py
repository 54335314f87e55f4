"""Customers' personal data: erasure on request, anonymisation after the screening, subject access.

One anonymisation for both: a reservation keeps its screening, seats, code and tickets (the
campaign's reporting), and loses the name, email and IP address it was booked with, wherever
they were copied. Where that is, and what each operation does there, is the register
(services/personal_data_register.py): every operation here iterates it.
"""

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backoffice.campaign.models import Reservation, Screening
from backoffice.campaign.services.personal_data_register import (
    ERASED_DOMAIN,
    PLACES,
    Anonymised,
    Job,
    Person,
    Scrubber,
)

ANONYMISE_CHUNK = 500
ERASURE_REASON = "Personal data erased on request"


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
        erased = reservations_anonymise(reservations=reservations, also=[email], erasure=True)
        # Who erased whom stays on record; the row holds only the anonymous values.
        Reservation.history.bulk_history_create(
            Reservation.objects.filter(pk__in=pks), update=True, default_user=by, default_change_reason=ERASURE_REASON
        )
    return erased


def reservations_anonymise(
    *, reservations: QuerySet[Reservation], also: list[str] = (), erasure: bool = False
) -> Anonymised:
    """Replace the name, email and IP address of ``reservations`` in every place of the register.

    ``also``: other strings that identify the person (the address asked to be erased), scrubbed
    from the same places. ``erasure``: on request (else retention), as the run pages say.
    Reservations already anonymised are left alone, so a repeat run changes nothing.
    """
    with transaction.atomic():
        rows = list(reservations.exclude(email__iendswith=f"@{ERASED_DOMAIN}").select_for_update().order_by("pk"))
        if not rows:
            return Anonymised()
        # Read before any place changes: the scrubber must know every address and name they had.
        job = Job(rows=rows, scrub=Scrubber(rows, also=also), erasure=erasure)
        counts = {place.title: place.anonymise(job) for place in PLACES}
    return Anonymised({place.title: counts[place.title] for place in PLACES if place.unit})


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


def personal_data_export(*, email: str) -> dict:
    """Everything held about the person booking with ``email`` (any case): a subject access copy."""
    reservations = list(
        Reservation.objects.filter(email__iexact=email.strip())
        .select_related("screening__film", "screening__cinema", "access_code")
        .prefetch_related("tickets")
        .order_by("created_at", "pk")
    )
    person = Person(email=email.strip(), reservations=reservations)
    held = {"email": person.email, "exported_at": timezone.now().isoformat()}
    for place in PLACES:
        if place.access_key:
            held[place.access_key] = place.export(person)
    return held
