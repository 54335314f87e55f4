"""Booking seats: the one locked path every reservation write takes.

``Reservation.objects.create``, ``Reservation.objects.update_booking`` and the admin's change
form all end up here, so the rules are written once. Each write runs in one transaction that:

1. bounds lock waits (``lock_timeout`` on PostgreSQL), so a busy moment gives staff a clear
   "try again" instead of a hung page;
2. locks the screening row(s) in pk order, then the access code row, then the reservation row
   itself (updates), and only then reads and writes; tickets are locked last, by
   ``Reservation.allocate_tickets``. One fixed order means two writers cannot deadlock;
3. checks seats left and code usages against the current rows, writes, allocates tickets.

The screening row is locked even though nothing on it changes: it is the one row every booking
of that screening shares. Locking existing reservations instead would lock nothing for the first
booking, and two first bookings would both pass. On SQLite ``select_for_update`` does nothing;
the ``IMMEDIATE`` transaction mode (see settings) makes every writer queue for the database's
single write lock instead, which serialises bookings the same way.

See docs/reservations.md for the rules and the trade-offs.
"""

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from backoffice.campaign.codes import reservation_reference
from backoffice.campaign.models import MAX_SEATS_PER_RESERVATION, AccessCode, Reservation, Screening
from backoffice.campaign.services.emails import reservation_emails_queue

M = TypeVar("M", Screening, AccessCode)

# How long a booking waits for another writer's row lock before giving up (PostgreSQL).
# A booking holds its locks for a few milliseconds, so seconds of waiting mean something is stuck.
DEFAULT_LOCK_TIMEOUT_MS = 3000

# A clashing random reference is drawn again this many times before the booking gives up.
REFERENCE_ATTEMPTS = 3

# Fields staff may change on an existing reservation; the rest are assigned once.
EDITABLE_FIELDS = frozenset({"name", "email", "access_code", "screening", "quantity", "ip_address"})

BUSY_MESSAGE = (
    "Someone else is saving a booking for this screening or access code right now. Please try again in a moment."
)
# SQLSTATEs of a lock wait that gave up: lock_not_available (lock_timeout) and deadlock_detected.
_LOCK_WAIT_SQLSTATES = {"55P03", "40P01"}


def reservation_create(*, reservation: Reservation) -> Reservation:
    """Book a new, unsaved reservation, or raise ValidationError and write nothing."""
    reservation.quantity = _seats_requested(reservation.quantity, minimum=1)
    _require_screening_and_code(reservation)
    # Field rules (email, lengths) need no lock: checking them first keeps the locks short.
    # The foreign keys are proven to exist by the locking reads below; the one constraint
    # (quantity 0-4) was just checked; the reference's uniqueness is left to the database.
    reservation.full_clean(exclude={"screening", "access_code"}, validate_unique=False, validate_constraints=False)
    attempts_left = REFERENCE_ATTEMPTS
    while True:
        try:
            return _book_new(reservation)
        except IntegrityError:
            attempts_left -= 1
            if not attempts_left or not _reference_taken(reservation):
                raise
            # Random references can collide (by a million reservations, two likely share one):
            # draw another and book again rather than fail the booking.
            reservation.reservation_id = reservation_reference()


def reservation_update(*, reservation: Reservation, fields: Collection[str]) -> Reservation:
    """Save the changed ``fields`` of a booked reservation under the same locks and rules as a booking.

    Fields not named are refreshed from the current row, so an edit never undoes a concurrent
    change to another field. Lowering the quantity (0 cancels) always succeeds and frees tickets;
    more seats, another screening or another access code are checked like a new booking.
    On ValidationError the database is unchanged; the instance keeps the requested values.
    """
    fields = set(fields)
    unknown = fields - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Cannot change {', '.join(sorted(unknown))} of a reservation.")
    if reservation.pk is None:
        raise ValueError("Book a new reservation with Reservation.objects.create().")
    if "quantity" in fields:
        reservation.quantity = _seats_requested(reservation.quantity, minimum=0)
    _require_screening_and_code(reservation)
    reservation.full_clean(exclude={"screening", "access_code"}, validate_unique=False, validate_constraints=False)

    with _locked_write():
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

        for name in EDITABLE_FIELDS - fields:
            field = Reservation._meta.get_field(name)
            setattr(reservation, field.attname, getattr(current, field.attname))
        screening = screenings[target_screening_id]
        reservation.screening, reservation.access_code = screening, access_code

        if reservation.quantity > 0:
            moved = screening.pk != current.screening_id
            reactivated = current.quantity == 0
            seats_reserved, code_uses = _booked(screening, access_code, other_than=reservation.pk)
            if moved or reservation.quantity > current.quantity:
                _check_seats_left(screening, seats=reservation.quantity, reserved=seats_reserved)
            if moved or reactivated or access_code.pk != current.access_code_id:
                _check_code_valid_for_film(access_code, screening)
            if reactivated or access_code.pk != current.access_code_id:
                _check_code_uses(access_code, used=code_uses)

        if fields:
            reservation.save(update_fields=fields)
        reservation.allocate_tickets()
        reservation_emails_queue(reservation=reservation, before=current)
    return reservation


def screening_update(*, screening: Screening, fields: Collection[str]) -> Screening:
    """Save a screening's changed ``fields``, re-checking under its row lock what bookings depend on.

    ``Screening.clean`` checks capacity when the form is validated, but a booking can land
    between that check and the save; here the check is repeated while bookings are held off.
    """
    fields = set(fields)
    with _locked_write():
        _lock_screening(screening.pk)
        if {"capacity", "film"} & fields:
            reserved = _seats_reserved(screening.pk, other_than=None)
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


def screening_seats_left(*, screening: Screening) -> int:
    """Seats still free for the campaign (a plain read: for display, never for deciding a booking)."""
    return screening.capacity - _seats_reserved(screening.pk, other_than=None)


def _book_new(reservation: Reservation) -> Reservation:
    try:
        with _locked_write():
            screening = _lock_screening(reservation.screening_id)
            access_code = _lock_access_code(reservation.access_code_id)
            reservation.screening, reservation.access_code = screening, access_code
            seats_reserved, code_uses = _booked(screening, access_code, other_than=None)
            _check_seats_left(screening, seats=reservation.quantity, reserved=seats_reserved)
            _check_code_valid_for_film(access_code, screening)
            _check_code_uses(access_code, used=code_uses)
            reservation.save(force_insert=True)
            reservation.allocate_tickets(held=())  # a row saved a moment ago holds no tickets
            reservation_emails_queue(reservation=reservation, before=None)
    except BaseException:
        # The row was rolled back: let the instance say so, so it can be fixed and saved again.
        reservation.pk = None
        reservation._state.adding = True
        raise
    return reservation


@contextmanager
def _locked_write() -> Iterator[None]:
    """One transaction with bounded lock waits; a lock wait that gives up becomes a ValidationError."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                timeout = getattr(settings, "RESERVATION_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MS)
                with connection.cursor() as cursor:
                    # set_config(..., true) is SET LOCAL: it ends with the transaction.
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(timeout)}ms"])
            yield
    except OperationalError as error:
        if _is_lock_wait(error):
            raise ValidationError({NON_FIELD_ERRORS: [BUSY_MESSAGE]}) from error
        raise


def _is_lock_wait(error: OperationalError) -> bool:
    cause = error.__cause__
    code = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    if code:
        return code in _LOCK_WAIT_SQLSTATES
    # SQLite gives up after its busy timeout with "database is locked".
    return "database is locked" in str(error)


def _lock_screening(pk: int) -> Screening:
    screening = _locked_row(Screening, pk)
    if screening is None:
        raise ValidationError({"screening": "That screening no longer exists; choose another."})
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
    access_code = _locked_row(AccessCode, pk)
    if access_code is None:
        raise ValidationError({"access_code": "That access code no longer exists."})
    return access_code


def _locked_row(model: type[M], pk: int) -> M | None:
    """One row by pk with ``SELECT ... FOR UPDATE``, as a model instance.

    The same statement ``objects.select_for_update().get(pk=pk)`` sends, written out once: every
    booking runs it while the screening is locked, and building it through the ORM costs more
    than the database takes to answer (a raw queryset still converts the values as usual).
    """
    opts = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in opts.concrete_fields)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT {columns} FROM {quote(opts.db_table)} WHERE {quote(opts.pk.column)} = %s{lock}"  # noqa: S608 - quoted names from _meta
    return next(iter(model.objects.raw(sql, [pk])), None)


def _reference_taken(reservation: Reservation) -> bool:
    return Reservation.objects.filter(reservation_id=reservation.reservation_id).exists()


def _seats_reserved(screening_id: int, *, other_than: int | None) -> int:
    # Cancelled reservations (quantity 0) add nothing to the sum, so they need no filter.
    rows = Reservation.objects.filter(screening_id=screening_id)
    if other_than is not None:
        rows = rows.exclude(pk=other_than)
    return rows.aggregate(seats=Coalesce(Sum("quantity"), 0))["seats"]


def _booked(screening: Screening, access_code: AccessCode, *, other_than: int | None) -> tuple[int, int]:
    """Seats reserved on the screening and active uses of the code, by every other reservation.

    One query, read after both rows are locked: from then on nobody else can add to either,
    so the numbers hold until this transaction commits. Written as SQL because it runs while
    the screening is locked, on every booking: the ORM takes ten times longer to build this
    query than the database takes to answer it, and every writer queued behind the lock waits
    for both.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(CASE WHEN screening_id = %s THEN quantity END), 0),"
            " COUNT(CASE WHEN access_code_id = %s AND quantity > 0 THEN 1 END)"
            " FROM campaign_reservation"
            " WHERE (screening_id = %s OR access_code_id = %s) AND id <> %s",
            [screening.pk, access_code.pk, screening.pk, access_code.pk, other_than or 0],
        )
        seats, uses = cursor.fetchone()
    return seats, uses


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


def _seats_requested(value: object, *, minimum: int) -> int:
    allowed = f"a whole number from {minimum} to {MAX_SEATS_PER_RESERVATION}"
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({"quantity": f"Enter the number of seats: {allowed}."})
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError({"quantity": f"{value!r} is not a number of seats; enter {allowed}."})
    try:
        seats = int(value)
    except ValueError:
        raise ValidationError({"quantity": f"{value!r} is not a number of seats; enter {allowed}."}) from None
    if seats > MAX_SEATS_PER_RESERVATION:
        raise ValidationError(
            {"quantity": f"At most {MAX_SEATS_PER_RESERVATION} seats per reservation; you asked for {seats}."}
        )
    if seats == 0 and minimum == 1:
        raise ValidationError(
            {"quantity": "A new reservation needs at least 1 seat; 0 is only for cancelling an existing one."}
        )
    if seats < minimum:
        raise ValidationError({"quantity": f"The number of seats cannot be {seats}; enter {allowed}."})
    return seats


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
