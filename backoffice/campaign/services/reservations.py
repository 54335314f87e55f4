"""Booking seats: the one locked path every reservation write takes.

``Reservation.objects.create``, ``Reservation.objects.update_booking`` and the admin's forms all
write a reservation the same way, so the rules are written once::

    with reservation_booking(reservation):
        reservation_create(reservation=reservation)  # or reservation_update(...)
        reservation.allocate_tickets()

``reservation_booking`` is the transaction: lock waits are bounded (a busy moment gives staff a
clear "try again"), and a failure leaves nothing written. Inside it, the write

1. validates the fields (no lock needed, so before any is taken);
2. locks the screening row(s) in pk order, then the access code row, then the reservation row
   itself (updates); tickets are locked last, by ``Reservation.allocate_tickets``. One fixed
   order means two writers cannot deadlock;
3. checks the rules against the current rows, in one query, and writes.

The screening row is locked even though nothing on it changes: it is the one row every booking
of that screening shares. Locking existing reservations instead would lock nothing for the first
booking, and two first bookings would both pass. On SQLite ``select_for_update`` does nothing;
the ``IMMEDIATE`` transaction mode (see settings) makes every writer queue for the database's
single write lock instead, which serialises bookings the same way.

See docs/reservations.md for the rules and the trade-offs.
"""

from collections.abc import Collection, Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError
from django.db.models import Count, Q, Value
from django.db.models.functions import Lower

from backoffice.campaign import metrics
from backoffice.campaign.codes import reservation_reference
from backoffice.campaign.models import AccessCode, Reservation, Screening
from backoffice.campaign.querysets import seats_reserved
from backoffice.campaign.services.emails import reservation_emails_queue
from backoffice.campaign.services.locking import locked_write

# Fields staff may change on an existing reservation; the rest are assigned once.
EDITABLE_FIELDS = frozenset({"name", "email", "access_code", "screening", "quantity", "ip_address"})


@contextmanager
def reservation_booking(reservation: Reservation) -> Iterator[Reservation]:
    """The transaction one reservation is written and given its tickets in.

    Refusals, a lock wait that gave up ("busy") and a booking that lost the race for its email
    to another all leave the database unchanged and raise ValidationError. A new reservation is
    left unsaved (pk None), so it can be corrected and booked again.
    """
    adding = reservation._state.adding
    try:
        with locked_write():
            yield reservation
            # Written and given its tickets: queue what the customer must hear, in the same
            # transaction, against the row as it was when the update locked it.
            reservation_emails_queue(reservation=reservation, before=None if adding else reservation._locked_before)
    except BaseException as error:
        if adding:
            reservation.pk = None
            reservation._state.adding = True
            metrics.booking_refused(error)
        if isinstance(error, IntegrityError):
            _refuse_if_email_taken(reservation, error)
        raise
    if adding:
        metrics.booking_made()


def reservation_create(*, reservation: Reservation) -> Reservation:
    """Check a new reservation against the rules under the booking's locks, and insert it.

    Runs inside ``reservation_booking``, whose caller then links its tickets.
    """
    _require_screening_and_code(reservation)
    # Field rules (quantity 0-4, email, lengths) need no lock: checking them first keeps the
    # locks short. The foreign keys are proven to exist by the locking reads below.
    reservation.full_clean(exclude={"screening", "access_code"}, validate_unique=False, validate_constraints=False)
    if reservation.quantity == 0:
        raise ValidationError(
            {"quantity": "A new reservation needs at least 1 seat; 0 is only for cancelling an existing one."}
        )
    screening = _lock_screenings({reservation.screening_id})[reservation.screening_id]
    access_code = _lock_access_code(reservation.access_code_id)
    reservation.screening, reservation.access_code = screening, access_code
    screening.check_bookable()
    booked = _booked(reservation, other_than=None)
    _check_seats_left(screening, seats=reservation.quantity, reserved=booked["seats"])
    _check_code_valid_for_film(access_code, screening)
    _check_code_uses(access_code, used=booked["code_uses"])
    if booked["email_taken"]:
        reservation_email_check(email=reservation.email, other_than=None)
    if booked["reference_taken"]:
        # Random references can clash with an existing one (by a million reservations, two
        # likely share one): draw again rather than refuse the booking.
        reservation.reservation_id = _fresh_reference()
    reservation.save(force_insert=True)
    return reservation


def reservation_update(*, reservation: Reservation, fields: Collection[str]) -> Reservation:
    """Save the changed ``fields`` of a booked reservation under the same locks and rules as a booking.

    Runs inside ``reservation_booking``, whose caller then re-allocates its tickets. Fields not
    named are refreshed from the current row, so an edit never undoes a concurrent change to
    another field. Lowering the quantity (0 cancels) always succeeds; more seats, another
    screening or another access code are checked like a new booking. On ValidationError the
    instance keeps the requested values.
    """
    fields = set(fields)
    unknown = fields - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Cannot change {', '.join(sorted(unknown))} of a reservation.")
    if reservation.pk is None:
        raise ValueError("Book a new reservation with Reservation.objects.create().")
    _require_screening_and_code(reservation)
    reservation.full_clean(exclude={"screening", "access_code"}, validate_unique=False, validate_constraints=False)

    before = Reservation.objects.filter(pk=reservation.pk).values("screening_id", "access_code_id").first()
    if before is None:
        raise ValidationError(_gone_message())
    target_screening_id = reservation.screening_id if "screening" in fields else before["screening_id"]
    target_code_id = reservation.access_code_id if "access_code" in fields else before["access_code_id"]
    screenings = _lock_screenings({before["screening_id"], target_screening_id})
    access_code = _lock_access_code(target_code_id)
    current = Reservation.objects.select_for_update().filter(pk=reservation.pk).first()
    if current is None:
        raise ValidationError(_gone_message())
    if (current.screening_id, current.access_code_id) != (before["screening_id"], before["access_code_id"]):
        # Moved by someone else between our first read and our locks: the locks we hold
        # may not cover its screening any more.
        raise ValidationError(
            {
                NON_FIELD_ERRORS: "This reservation was changed by someone else while you were saving. "
                "Reload it and try again."
            }
        )

    reservation._locked_before = current  # for reservation_booking's emails
    for name in EDITABLE_FIELDS - fields:
        field = Reservation._meta.get_field(name)
        setattr(reservation, field.attname, getattr(current, field.attname))
    screening = screenings[target_screening_id]
    reservation.screening, reservation.access_code = screening, access_code

    if reservation.quantity > 0:
        moved = screening.pk != current.screening_id
        reactivated = current.quantity == 0
        new_code = access_code.pk != current.access_code_id
        if moved or reactivated or reservation.quantity > current.quantity:
            screening.check_bookable()
        booked = _booked(reservation, other_than=reservation.pk)
        if moved or reservation.quantity > current.quantity:
            _check_seats_left(screening, seats=reservation.quantity, reserved=booked["seats"])
        if moved or reactivated or new_code:
            _check_code_valid_for_film(access_code, screening)
        if reactivated or new_code:
            _check_code_uses(access_code, used=booked["code_uses"])
        if booked["email_taken"] and (reactivated or "email" in fields):
            reservation_email_check(email=reservation.email, other_than=reservation.pk)

    if fields:
        reservation.save(update_fields=fields)
    return reservation


def reservation_email_check(*, email: str, other_than: int | None) -> None:
    """Refuse an email that already holds an active reservation, naming that reservation.

    The database's constraint decides (``reservation_one_active_per_email``); this check, run
    under the booking's locks and by the admin's form, only puts a name to the refusal.
    """
    holder = _active_holder(email, other_than=other_than)
    if holder is not None:
        raise ValidationError(
            {
                "email": f"{email} already has an active reservation: {holder.reservation_id} ({holder.screening}, "
                f"{_seats(holder.quantity)}). One booking per person: change or cancel that one instead."
            }
        )


def screening_update(*, screening: Screening, fields: Collection[str]) -> Screening:
    """Save a screening's changed ``fields``, re-checking under its row lock what bookings depend on.

    The admin's change form and the spreadsheet import both save through here. ``Screening.clean``
    checks capacity when the form or row is validated, but a booking can land between that check
    and the save; here the check is repeated while bookings are held off.
    """
    fields = set(fields)
    with locked_write():
        _lock_screenings({screening.pk})
        if {"capacity", "film"} & fields:
            reserved = screening.reservations.seats_reserved()
            if "capacity" in fields:
                screening.check_capacity(reserved=reserved)
            if "film" in fields and reserved:
                # Its reservations hold tickets of the old film; they would silently become wrong.
                raise ValidationError(
                    {
                        "film": f"{reserved} seats are reserved for this screening; move or cancel them before "
                        "changing its film."
                    }
                )
        if fields:
            screening.save(update_fields=fields)
    return screening


def _lock_screenings(pks: set[int]) -> dict[int, Screening]:
    # ORDER BY pk with FOR UPDATE locks rows in that order: two writers touching the same two
    # screenings always queue on the lower pk first and cannot deadlock. Film and cinema are
    # only needed for messages, so they are fetched when a message is written, not here,
    # where every statement lengthens the time the screening stays locked.
    rows = Screening.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    screenings = {screening.pk: screening for screening in rows}
    if len(screenings) != len(pks):
        raise ValidationError({"screening": "That screening no longer exists; choose another."})
    return screenings


def _lock_access_code(pk: int) -> AccessCode:
    try:
        return AccessCode.objects.select_for_update().get(pk=pk)
    except AccessCode.DoesNotExist:
        raise ValidationError({"access_code": "That access code no longer exists."}) from None


def _booked(reservation: Reservation, *, other_than: int | None) -> dict[str, int]:
    """What every other reservation holds of what this one asks for, in one query.

    Seats on its screening, active uses of its access code, and whether its email or its
    reference is already taken. Read after the screening and code are locked: from then on
    nobody else can add to the first two, so they hold until this transaction commits.
    """
    same_screening = Q(screening_id=reservation.screening_id)
    same_code = Q(access_code_id=reservation.access_code_id, quantity__gt=0)
    # Lower() on both sides, as the constraint's index is built.
    same_email = Q(email_key=Lower(Value(reservation.email)), quantity__gt=0)
    same_reference = Q(reservation_id=reservation.reservation_id)
    rows = Reservation.objects.alias(email_key=Lower("email")).filter(
        same_screening | same_code | same_email | same_reference
    )
    if other_than is not None:
        rows = rows.exclude(pk=other_than)
    return rows.aggregate(
        seats=seats_reserved(filter=same_screening),
        code_uses=Count("pk", filter=same_code),
        email_taken=Count("pk", filter=same_email),
        reference_taken=Count("pk", filter=same_reference),
    )


def _fresh_reference() -> str:
    while Reservation.objects.filter(reservation_id=(reference := reservation_reference())).exists():
        pass
    return reference


def _active_holder(email: str, *, other_than: int | None) -> Reservation | None:
    holders = Reservation.objects.alias(email_key=Lower("email")).filter(email_key=Lower(Value(email)), quantity__gt=0)
    if other_than is not None:
        holders = holders.exclude(pk=other_than)
    return holders.select_related("screening__film", "screening__cinema").order_by().first()


def _refuse_if_email_taken(reservation: Reservation, error: IntegrityError) -> None:
    """A booking that lost a race for its email to another one: say who holds it, as the check would.

    The other booking has committed by now (PostgreSQL waits for it before reporting the
    clash), so it can be read and named.
    """
    if reservation.quantity and reservation.email:
        try:
            reservation_email_check(email=reservation.email, other_than=reservation.pk)
        except ValidationError as taken:
            raise taken from error


def _check_seats_left(screening: Screening, *, seats: int, reserved: int) -> None:
    left = screening.capacity - reserved
    if seats <= left:
        return
    if left <= 0:
        raise ValidationError(
            {
                "screening": f"No seats left for {screening}: all {screening.capacity} are reserved. "
                "Choose another screening."
            }
        )
    raise ValidationError({"quantity": f"Only {_seats(left)} left for {screening}; you asked for {seats}."})


def _check_code_uses(access_code: AccessCode, *, used: int) -> None:
    if used >= access_code.max_usages:
        times = "once" if access_code.max_usages == 1 else f"{access_code.max_usages} times"
        raise ValidationError(
            {"access_code": f"Access code {access_code} is used up: it can be used {times} and has been used {used}."}
        )


def _check_code_valid_for_film(access_code: AccessCode, screening: Screening) -> None:
    if access_code.valid_for_id is not None and access_code.valid_for_id != screening.film_id:
        raise ValidationError(
            {"access_code": f"Access code {access_code} is for {access_code.valid_for} only, not {screening.film}."}
        )


def _require_screening_and_code(reservation: Reservation) -> None:
    errors = {}
    if reservation.screening_id is None:
        errors["screening"] = "Choose the screening to book."
    if reservation.access_code_id is None:
        errors["access_code"] = "Enter the customer's access code."
    if errors:
        raise ValidationError(errors)


def _gone_message() -> dict[str, list[str]]:
    return {NON_FIELD_ERRORS: ["This reservation no longer exists; it may have been deleted."]}


def _seats(n: int) -> str:
    return "1 seat" if n == 1 else f"{n} seats"
