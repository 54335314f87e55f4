"""Booking seats: the one locked path every reservation write takes.

``Reservation.objects.create``, ``Reservation.objects.update_booking`` and the admin's forms all
write a reservation the same way, so the rules are written once::

    with reservation_booking(reservation) as booking:
        reservation_create(reservation=reservation)
        # or, for a change: booking.before = reservation_update(reservation=reservation, fields=...)
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

import copy
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import ngettext

from backoffice.campaign import metrics
from backoffice.campaign.codes import reservation_reference
from backoffice.campaign.models import LONDON, AccessCode, Film, Reservation, Screening, Ticket
from backoffice.campaign.querysets import seats_reserved
from backoffice.campaign.services.emails import reservation_emails_queue, screening_cancelled_email_queue
from backoffice.campaign.services.locking import locked_write

# Fields staff may change on an existing reservation; the rest are assigned once.
EDITABLE_FIELDS = frozenset({"name", "email", "access_code", "screening", "quantity", "ip_address"})


@dataclass
class Booking:
    """One reservation being written, and for a change, its row as ``reservation_update`` locked it."""

    reservation: Reservation
    before: Reservation | None = None


@contextmanager
def reservation_booking(reservation: Reservation) -> Iterator[Booking]:
    """The transaction one reservation is written and given its tickets in.

    A change sets ``booking.before`` to what ``reservation_update`` returns: the customer's
    emails are chosen by comparing the two. Refusals, a lock wait that gave up ("busy") and a
    booking that lost the race for its email to another all leave the database unchanged and
    raise ValidationError. A new reservation is left unsaved (pk None), so it can be corrected
    and booked again.
    """
    adding = reservation._state.adding
    booking = Booking(reservation)
    try:
        with locked_write():
            yield booking
            if not adding and booking.before is None:
                raise RuntimeError("Set booking.before to what reservation_update returned.")
            # Written and given its tickets: queue what the customer must hear, in the same
            # transaction, against the row as it was when the update locked it.
            reservation_emails_queue(reservation=reservation, before=booking.before)
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
    _check_code_not_blocked(access_code)
    _check_code_valid_for_film(access_code, screening)
    _check_code_uses(access_code, used=booked["code_uses"])
    if booked["email_taken"]:
        reservation_email_check(email=reservation.email, other_than=None)
    if booked["reference_taken"]:
        # Random references can clash with an existing one (by a million reservations, two
        # likely share one): draw again rather than refuse the booking.
        reservation.reference = _fresh_reference()
    reservation.save(force_insert=True)
    return reservation


def reservation_update(*, reservation: Reservation, fields: Collection[str]) -> Reservation:
    """Save the changed ``fields`` of a booked reservation under the same locks and rules as a booking.

    Returns the row as it was before, read under its lock, for ``booking.before``. Runs inside
    ``reservation_booking``, whose caller then re-allocates its tickets. Fields not
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
            # A booking keeping its code is not re-checked (withdrawing never cancels bookings);
            # one taking a new use of a code, by a change of code or a reactivation, is.
            _check_code_not_blocked(access_code)
            _check_code_uses(access_code, used=booked["code_uses"])
        if booked["email_taken"] and (reactivated or "email" in fields):
            reservation_email_check(email=reservation.email, other_than=reservation.pk)

    if fields:
        reservation.save(update_fields=fields)
    return current


def reservation_email_check(*, email: str, other_than: int | None) -> None:
    """Refuse an email that already holds an active reservation, naming that reservation.

    The database's constraint decides (``reservation_one_active_per_email``); this check, run
    under the booking's locks and by the admin's form, only puts a name to the refusal.
    """
    holder = _active_holder(email, other_than=other_than)
    if holder is not None:
        raise ValidationError(
            {
                "email": f"{email} already has an active reservation: {holder.reference} ({holder.screening}, "
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
                        "film": ngettext(
                            "%(count)d seat is reserved for this screening; move or cancel it before changing "
                            "its film.",
                            "%(count)d seats are reserved for this screening; move or cancel them before changing "
                            "its film.",
                            reserved,
                        )
                        % {"count": reserved}
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
    same_reference = Q(reference=reservation.reference)
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
    while Reservation.objects.filter(reference=(reference := reservation_reference())).exists():
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
        can, has = _times(access_code.max_usages), _times(used)
        raise ValidationError(
            {"access_code": f"Access code {access_code} is used up: it can be used {can} and has been used {has}."}
        )


def _times(n: int) -> str:
    return ngettext("once", "%(count)d times", n) % {"count": n}


def _check_code_not_blocked(access_code: AccessCode) -> None:
    # Read from the row locked FOR UPDATE: a withdrawal is an UPDATE of the code rows, so a
    # booking either locked the code first (and the withdrawal waits for it) or sees it withdrawn.
    if access_code.is_blocked:
        since = timezone.localtime(access_code.blocked_at)
        why = f" ({access_code.blocked_reason})" if access_code.blocked_reason else ""
        message = (
            f"This code has been withdrawn: {access_code} was withdrawn on {since:%d %b %Y}{why} "
            "and can no longer be used to book. Ask the customer for another code."
        )
        raise ValidationError({"access_code": ValidationError(message, code="code_withdrawn")})


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
    return _count(n, "seat")


# Bulk changes: many bookings in one transaction, all or nothing.


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk change did: bookings, seats and customers (distinct addresses) changed."""

    bookings: int
    seats: int
    customers: int


class BookingsDoNotFit(ValidationError):
    """A bulk move refused: ``refusals`` says, for each booking that does not fit, which and why."""

    def __init__(self, refusals: list[str], *, of: int, to: Screening) -> None:
        super().__init__(
            {
                NON_FIELD_ERRORS: f"{_count(len(refusals), 'booking')} of {of:,} would not fit on {to}; "
                "nothing was moved or cancelled."
            }
        )
        self.refusals = refusals


@dataclass
class _Locked:
    screenings: dict[int, Screening]
    codes: dict[int, AccessCode]
    reservations: list[Reservation]


def reservations_cancel(*, reservations: QuerySet[Reservation], by: AbstractBaseUser | None) -> BulkOutcome:
    """Cancel the selected bookings (quantity 0) in one transaction; each customer gets one cancellation email.

    The admin's way out of a booking instead of deleting it: seats, tickets and code uses are
    given back under the same locks as a single cancellation, and the customer is told. Lowering
    to 0 always succeeds; only a busy moment ("try again") refuses it. Cancelled ones are skipped.
    """
    with locked_write():
        rows = _lock_bookings(_selected(reservations))
        return _rebook(rows, to=None, by=by, notify=reservation_emails_queue)


def reservations_move(
    *, reservations: QuerySet[Reservation], screening: Screening, by: AbstractBaseUser | None
) -> BulkOutcome:
    """Move the selected active bookings to ``screening`` in one transaction, each with one update email.

    The target's cancelled state, cut-off, seats and each code's film are checked as for a single
    move; tickets are swapped when the film changes (codes already emailed become void, never
    reissued). All or nothing: if any booking does not fit, ValidationError lists each one and
    why, and nothing changes. Bookings already there, and cancelled ones, are left as they are.
    """
    with locked_write():
        rows = _lock_bookings(_selected(reservations), also={screening.pk})
        return _rebook(rows, to=rows.screenings[screening.pk], by=by, notify=reservation_emails_queue)


def screening_cancel(
    *, screening: Screening, by: AbstractBaseUser | None, reason: str, move_to: Screening | None = None
) -> BulkOutcome:
    """Cancel a screening: move all its bookings to ``move_to`` or cancel them all, then mark it cancelled.

    One transaction: every booking is moved (under the same rules as ``reservations_move``, all
    or nothing) or cancelled, each customer gets one "screening cancelled" email saying what
    happened and what to do, and the screening keeps its row with who, when and why. A cancelled
    screening takes no bookings (``Screening.check_bookable``) and cannot be cancelled again.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the screening is cancelled: customers are told."})
    if move_to is not None and move_to.pk == screening.pk:
        raise ValidationError({"move_to": "Choose another screening to move the bookings to, not this one."})
    with locked_write():
        # Locked first: from then on no booking can arrive at, or leave, this screening.
        locked = _lock_screenings({screening.pk} | ({move_to.pk} if move_to else set()))
        cancelled = locked[screening.pk]
        if cancelled.is_cancelled:
            when = cancelled.cancelled_at.astimezone(LONDON)
            raise ValidationError({NON_FIELD_ERRORS: f"{cancelled} was already cancelled at {when:%H:%M on %-d %b}."})
        pks = list(Reservation.objects.filter(screening=cancelled, quantity__gt=0).values_list("pk", flat=True))
        rows = _lock_bookings(pks, screenings=locked)
        notice = partial(screening_cancelled_email_queue, cancelled=cancelled, reason=reason)
        outcome = _rebook(rows, to=locked[move_to.pk] if move_to else None, by=by, notify=notice)
        cancelled.cancelled_at, cancelled.cancelled_by, cancelled.cancellation_reason = timezone.now(), by, reason
        cancelled._history_user = by
        cancelled._change_reason = f"Cancelled: {reason}"[:100]
        cancelled.save(update_fields={"cancelled_at", "cancelled_by", "cancellation_reason"})
    return outcome


def bookings_in_words(*, bookings: int, seats: int, customers: int) -> str:
    """ "3 bookings, 7 seats, 3 customers": how confirmation pages and messages count a selection."""
    return ", ".join(_count(n, word) for n, word in ((bookings, "booking"), (seats, "seat"), (customers, "customer")))


def bookings_counted(reservations: QuerySet[Reservation]) -> BulkOutcome:
    """The active bookings of a selection, counted in one query (cancelled ones hold nothing)."""
    counts = reservations.filter(quantity__gt=0).aggregate(
        bookings=Count("pk"), seats=seats_reserved(), customers=Count(Lower("email"), distinct=True)
    )
    return BulkOutcome(**counts)


def _selected(reservations: QuerySet[Reservation]) -> list[int]:
    return list(reservations.order_by().values_list("pk", flat=True))


def _lock_bookings(
    pks: list[int], *, also: Collection[int] = (), screenings: dict[int, Screening] | None = None
) -> _Locked:
    """Lock the screenings the bookings ``pks`` are on (and ``also``), their codes, then the bookings.

    The booking order of ``reservation_update``, once for them all: screenings in pk order, codes
    in pk order, reservations in pk order. A booking moved by someone else between the first read
    and the locks is refused with "try again", as a single change is.
    """
    if screenings is None:
        on = set(Reservation.objects.filter(pk__in=pks).values_list("screening_id", flat=True))
        screenings = _lock_screenings(on | set(also))
    used = Reservation.objects.filter(pk__in=pks).values("access_code_id")
    codes = {code.pk: code for code in AccessCode.objects.select_for_update().filter(pk__in=used).order_by("pk")}
    rows = list(Reservation.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
    if any(row.screening_id not in screenings for row in rows):
        raise ValidationError(
            {
                NON_FIELD_ERRORS: "Some of these reservations were changed by someone else while you were saving. "
                "Reload the list and try again."
            }
        )
    for row in rows:
        row.screening = screenings[row.screening_id]
    return _Locked(screenings=screenings, codes=codes, reservations=rows)


def _rebook(locked: _Locked, *, to: Screening | None, by: AbstractBaseUser | None, notify: Callable) -> BulkOutcome:
    """Move every active booking of ``locked`` to ``to``, or cancel it (``to`` None); then tell each customer.

    Runs under the locks ``_lock_bookings`` took. Every check is made before the first write, so
    a refusal lists every booking that does not fit and leaves the transaction clean.
    """
    active = [row for row in locked.reservations if row.quantity > 0 and (to is None or row.screening_id != to.pk)]
    if to is not None:
        _check_all_fit(active, to, codes=locked.codes)
    changed = BulkOutcome(
        bookings=len(active),
        seats=sum(row.quantity for row in active),
        customers=len({row.email.casefold() for row in active}),
    )
    for row in active:
        before = copy.copy(row)
        if to is None:
            row.quantity = 0
        else:
            row.screening = to
        row._history_user = by
        row.save(update_fields={"quantity"} if to is None else {"screening"})
        row.allocate_tickets()
        notify(reservation=row, before=before)
    return changed


def _check_all_fit(bookings: list[Reservation], to: Screening, *, codes: dict[int, AccessCode]) -> None:
    """Refuse a move of ``bookings`` to ``to`` unless every one fits, listing each that does not and why."""
    if not bookings:
        return
    to.check_bookable()
    reserved = to.reservations.seats_reserved()
    film = Film.objects.get(pk=to.film_id)
    to.film = film
    tickets_free = Ticket.objects.free().filter(film=film).count()
    refusals = []
    for row in bookings:
        try:
            _check_seats_left(to, seats=row.quantity, reserved=reserved)
            _check_code_valid_for_film(codes[row.access_code_id], to)
            if row.screening.film_id != to.film_id:
                _check_ticket_stock(film, seats=row.quantity, free=tickets_free)
                tickets_free -= row.quantity
        except ValidationError as refusal:
            refusals.append(f"{row.reference} ({_seats(row.quantity)}): {' '.join(refusal.messages)}")
            continue
        reserved += row.quantity
    if refusals:
        raise BookingsDoNotFit(refusals, of=len(bookings), to=to)


def _check_ticket_stock(film: Film, *, seats: int, free: int) -> None:
    # Said before the first write so the report can list every booking; allocate_tickets still
    # decides under its own locks, and rolls everything back if stock ran out meanwhile.
    if seats > free:
        raise ValidationError(
            {NON_FIELD_ERRORS: f"Not enough tickets left for {film}: {free} free. Load more ticket stock first."}
        )


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"
