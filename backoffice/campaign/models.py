"""The campaign's data: films shown at cinemas, screenings, access codes, reservations, tickets.

Rules that span rows (seats left, code usages, ticket allocation) live in the managers,
querysets and services named on each model; a model carries the behaviour of one row.
"""

import uuid
from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, Lower, Now, Upper
from django.utils import timezone
from django.utils.translation import ngettext
from simple_history.models import HistoricalRecords

from backoffice.campaign.codes import (
    CODE_LENGTH,
    SCREENING_CODE_LENGTH,
    reservation_reference,
    screening_code,
    validate_access_code,
)
from backoffice.campaign.managers import ReservationManager
from backoffice.campaign.one_line import validate_one_line, validate_text
from backoffice.campaign.querysets import (
    TICKET_FREE,
    TICKET_HELD,
    TICKET_VOID,
    FilmQuerySet,
    ScreeningQuerySet,
    TicketQuerySet,
    booking_cutoff,
)
from backoffice.campaign.slugs import unique_slug

LONDON = ZoneInfo("Europe/London")
MAX_SEATS_PER_RESERVATION = 4


class Cinema(models.Model):
    name = models.CharField(
        max_length=200, validators=[validate_one_line], help_text='Chain style, e.g. "Aberdeen - Queens Links".'
    )
    slug = models.SlugField(max_length=220, unique=True, blank=True, help_text="Made from the name when left empty.")
    address = models.TextField(blank=True)
    lat = models.FloatField(
        "latitude", null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    lng = models.FloatField(
        "longitude", null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    contact_email = models.EmailField(
        blank=True, help_text="Receives each screening's door list when bookings close. Empty: none is sent."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        permissions = [("import_cinema", "Can import cinemas"), ("export_cinema", "Can export cinemas")]
        constraints = [
            models.CheckConstraint(condition=models.Q(lat__gte=-90, lat__lte=90), name="cinema_lat_range"),
            models.CheckConstraint(condition=models.Q(lng__gte=-180, lng__lte=180), name="cinema_lng_range"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(self, self.name)
        super().save(*args, **kwargs)


class Film(models.Model):
    class Certificate(models.TextChoices):
        U = "U", "U"
        PG = "PG", "PG"
        TWELVE_A = "12A", "12A"
        TWELVE = "12", "12"
        FIFTEEN = "15", "15"
        EIGHTEEN = "18", "18"

    name = models.CharField(max_length=200, validators=[validate_one_line])
    slug = models.SlugField(max_length=220, unique=True, blank=True, help_text="Made from the name when left empty.")
    release_date = models.CharField(
        "release year",
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^\d{4}$", "Enter the release year as four digits, e.g. 2003.")],
    )
    genre = models.CharField(max_length=100, blank=True)
    certificate = models.CharField(max_length=3, choices=Certificate, blank=True)
    description = models.TextField(blank=True)
    # Minutes as a number rather than free text, so the site can format it and staff can sort by it.
    running_time = models.PositiveSmallIntegerField(
        "running time (minutes)", null=True, blank=True, validators=[MaxValueValidator(600)]
    )
    showing_from = models.CharField(
        max_length=100, blank=True, help_text='Shown to the public, e.g. "From 1 December".'
    )
    image_1 = models.ImageField(upload_to="films/", blank=True)
    image_2 = models.ImageField(upload_to="films/", blank=True)
    copyright = models.CharField(max_length=200, blank=True)
    live = models.BooleanField(default=False, help_text="Only live films are shown on the public site.")
    history = HistoricalRecords()

    objects = FilmQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [("import_film", "Can import films"), ("export_film", "Can export films")]
        indexes = [models.Index(fields=["live", "name"], name="film_live_name")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(self, self.name)
        super().save(*args, **kwargs)


class Screening(models.Model):
    film = models.ForeignKey(Film, on_delete=models.PROTECT, related_name="screenings")
    cinema = models.ForeignKey(Cinema, on_delete=models.PROTECT, related_name="screenings")
    starts_at = models.DateTimeField(help_text="Europe/London time.")
    capacity = models.PositiveIntegerField(help_text="Seats offered to the campaign.")
    slug = models.SlugField(max_length=255, unique=True, editable=False)
    # What customers quote on the phone: six symbols read out more easily than the slug.
    code = models.CharField(
        max_length=SCREENING_CODE_LENGTH,
        unique=True,
        default=screening_code,
        editable=False,
        help_text="Short code customers quote to name this screening.",
    )
    # Cancelled, never deleted: the row keeps its bookings' history and tells the public it is off.
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    cancellation_reason = models.TextField(
        blank=True, editable=False, validators=[validate_text], help_text="Why it was cancelled, as customers are told."
    )
    # The sum of its reservations' quantities, kept by database triggers on reservations
    # (migration 0025) in the transaction of each write, under the lock a booking already holds
    # on the screening: lists, the dashboard and the API read it (``with_sold_out``) instead of
    # summing bookings per screening. Never written by the application: save() leaves it out.
    reserved_seats = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["reserved_seats"])

    objects = ScreeningQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        permissions = [("import_screening", "Can import screenings"), ("export_screening", "Can export screenings")]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=0), name="screening_capacity_not_negative"),
            models.UniqueConstraint(
                fields=["film", "cinema", "starts_at"],
                name="screening_unique_film_cinema_start",
                violation_error_message="This film already has a screening at this cinema at that time.",
            ),
        ]
        indexes = [
            models.Index(fields=["film", "starts_at"], name="screening_film_start"),
            models.Index(fields=["cinema", "starts_at"], name="screening_cinema_start"),
            # The list's order: a page reads its 100 screenings (and their seats) from the index,
            # instead of counting the seats of all of them to sort them.
            models.Index(fields=["starts_at", "id"], name="screening_start"),
            # A film's screenings going ahead, with what sold-out status needs (PostgreSQL keeps
            # capacity and seats in the index): the films list's and the API's per-film counts
            # read it alone instead of each of the film's screening rows.
            models.Index(
                fields=["film", "starts_at"],
                include=["capacity", "reserved_seats"],
                condition=models.Q(cancelled_at__isnull=True),
                name="screening_open_by_film",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.film} at {self.cinema}, {self.local_start:%a %d %b %Y %H:%M}"

    def save(self, *args, **kwargs) -> None:
        # Derived, so recomputed on every save: the slug always names film, cinema and start.
        self.slug = self.build_slug()
        if self._state.adding:
            # Drawn again on a clash with an existing screening; the unique index has the last word.
            while Screening.objects.filter(code=self.code).exists():
                self.code = screening_code()
        update_fields = kwargs.get("update_fields")
        if update_fields is None and not self._state.adding:
            # Every field but the seats the triggers keep: a form loaded before a booking must
            # not write back the count it was loaded with.
            update_fields = [f.name for f in self._meta.concrete_fields if not f.primary_key]
            update_fields.remove("reserved_seats")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "slug"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # A form-time check for staff (admin, spreadsheet import). Writers that race with
        # bookings must re-check under the screening's row lock before saving.
        if self.pk is not None and self.capacity is not None:
            self.check_capacity(reserved=self.reservations.seats_reserved())

    def check_capacity(self, *, reserved: int) -> None:
        """Refuse a capacity below the seats already reserved (the one wording of the rule)."""
        if self.capacity < reserved:
            raise ValidationError(
                {
                    "capacity": ngettext(
                        "%(count)d seat is already reserved for this screening; ",
                        "%(count)d seats are already reserved for this screening; ",
                        reserved,
                    )
                    % {"count": reserved}
                    + f"capacity cannot go below {reserved}. Cancel or move reservations first."
                }
            )

    @property
    def local_start(self):
        return self.starts_at.astimezone(LONDON)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def bookings_close_at(self):
        return self.starts_at - booking_cutoff()

    @property
    def bookings_closed(self) -> bool:
        """Past the cut-off: no new booking, no extra seats, no move here (``ScreeningQuerySet.bookable``)."""
        return timezone.now() >= self.bookings_close_at

    def check_bookable(self) -> None:
        """Refuse a new booking, extra seats or a move here: the screening is cancelled, or past its cut-off."""
        if self.is_cancelled:
            message = (
                f"{self} is cancelled ({self.cancellation_reason or 'no reason given'}). Choose another screening."
            )
            raise ValidationError({"screening": ValidationError(message, code="screening_cancelled")})
        if self.bookings_closed:
            closes = self.bookings_close_at.astimezone(LONDON)
            raise ValidationError(
                {
                    "screening": f"Bookings for {self} closed at {closes:%H:%M}, "
                    f"{settings.BOOKING_CUTOFF_MINUTES} minutes before the start. Choose a later screening."
                }
            )

    def build_slug(self) -> str:
        return f"{self.film.slug}-{self.cinema.slug}-{self.local_start:%Y-%m-%d-%H-%M}"[:255]


def private_storage():
    """Files staff download through permission-checked views only (settings.STORAGES["private"])."""
    return storages["private"]


class RunStatus(models.TextChoices):
    """The one life of a background run, code generation or spreadsheet: queued -> running -> an end.

    Transitions are conditional updates in services/runs.py, shared by both kinds of run.
    """

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


UNFINISHED_RUN = (RunStatus.QUEUED, RunStatus.RUNNING)


def run_stale_after() -> timedelta:
    """A running run without a heartbeat for this long has lost its worker (``RUN_STALE_SECONDS``)."""
    return timedelta(seconds=settings.RUN_STALE_SECONDS)


class BackgroundRun(models.Model):
    """What every background run on the workers shares: who asked and when, its status, its
    heartbeat, its tries and its result file (services/runs.py: transitions and the sweeper).

    ``updated_at`` is the heartbeat: it moves with each batch a run commits. A running run whose
    heartbeat is older than ``RUN_STALE_SECONDS`` has lost its worker; the sweeper queues it again
    (``attempts`` counts the tries) until ``RUN_MAX_ATTEMPTS``, then fails it.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus, default=RunStatus.QUEUED)
    # Set by the admin's Cancel; the run stops at its next batch boundary.
    cancel_requested = models.BooleanField(default=False)
    # Workers that took the run so far: one, unless a worker died and the sweeper queued it again.
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    # The file the run made, in private storage: never under MEDIA_URL.
    result_file = models.FileField(storage=private_storage, max_length=200, blank=True, editable=False)

    #: The text field that says how the run ended.
    message_field = "message"

    class Meta:
        abstract = True

    @property
    def is_stale(self) -> bool:
        return self.status == RunStatus.RUNNING and self.updated_at < timezone.now() - run_stale_after()

    @property
    def resumable(self) -> bool:
        """Whether a worker can take the run over when the one running it dies."""
        return True

    @property
    def progress(self) -> tuple[int, int]:
        """How far the run is: done of total, in its unit (codes or rows)."""
        raise NotImplementedError


class AccessCodeBatch(BackgroundRun):
    """One run of code generation; the database, not the CSV, is the record of what it made."""

    class Source(models.TextChoices):
        COMMAND = "command", "Management command"
        ADMIN = "admin", "Admin action"

    Status = RunStatus

    requested_count = models.PositiveIntegerField()
    created_count = models.PositiveIntegerField(default=0)
    film = models.ForeignKey(
        Film, on_delete=models.PROTECT, null=True, blank=True, related_name="code_batches", help_text="Empty: any film."
    )
    max_usages = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    source = models.CharField(max_length=10, choices=Source, default=Source.COMMAND)
    # The command's runs are written running; the admin's queued (services/code_runs.py).
    status = models.CharField(max_length=10, choices=Status, default=Status.RUNNING)
    error = models.TextField(blank=True)

    message_field = "error"

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "access code batches"
        permissions = [("export_accesscodebatch", "Can export access code batches")]

    def __str__(self) -> str:
        return (
            f"Batch {self.pk}: {self.created_count:,} of {self.requested_count:,} codes ({self.get_status_display()})"
        )

    @property
    def progress(self) -> tuple[int, int]:
        return self.created_count, self.requested_count

    @property
    def resumable(self) -> bool:
        # The command's batches are written by a process of their own, with a file of its own.
        return self.source == self.Source.ADMIN


class DataRun(BackgroundRun):
    """One background run on the workers (a spreadsheet import or export, withdrawing codes,
    deleting a batch): its record, from request to result file.

    An import is checked first (phase *preview*: nothing kept), then, once staff confirm, applied
    (phase *apply*: every row or none). Progress ``done`` of ``total`` rows and ``updated_at``
    (the heartbeat) move at each batch of rows; see services/data_runs.py.
    """

    class Kind(models.TextChoices):
        IMPORT = "import", "Import"
        EXPORT = "export", "Export"
        # Withdrawing or restoring many access codes (services/code_blocks.py), and deleting an
        # unused batch of them: the codes' content type, one chunk of codes per transaction.
        BLOCK = "block", "Withdraw or restore codes"
        DELETE = "delete", "Delete a batch of codes"

    class Phase(models.TextChoices):
        PREVIEW = "preview", "Check (nothing saved)"
        APPLY = "apply", "Save"

    Status = RunStatus

    kind = models.CharField(max_length=6, choices=Kind)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+", verbose_name="data"
    )
    phase = models.CharField(max_length=7, choices=Phase, default=Phase.APPLY)
    # What was asked: resource, format, file name, the list's filters (exports).
    parameters = models.JSONField(default=dict, editable=False)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    # The import's check: counts, ignored columns, and errors by row and column.
    outcome = models.JSONField(default=dict, editable=False)
    # The uploaded file of an import (an export's is ``result_file``): private storage, never under MEDIA_URL.
    upload_file = models.FileField(storage=private_storage, max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "spreadsheet run"
        indexes = [models.Index(fields=["status", "updated_at"], name="data_run_status_updated")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} run {self.pk} ({self.get_status_display()})"

    @property
    def progress(self) -> tuple[int, int]:
        return self.done, self.total


class AccessCode(models.Model):
    # Unique through Meta.constraints, with one index that serves equality, ON CONFLICT and
    # the admin's prefix search alike (unique=True would add a second, pattern-ops index).
    value = models.CharField(max_length=CODE_LENGTH, validators=[validate_access_code])
    max_usages = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    # Indexed only where set (Meta.indexes, access_code_valid_for): codes for any film, most of
    # a campaign's, cost a bulk run nothing, and the admin's film filter reads only the film's codes.
    valid_for = models.ForeignKey(
        Film,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_codes",
        help_text="Empty: valid for any film.",
        db_index=False,
    )
    # A database default, so bulk loads (COPY, INSERT ... ON CONFLICT) need not send it.
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    # No database constraint: PostgreSQL would check it for each code a run writes. PROTECT still guards deletion.
    batch = models.ForeignKey(
        AccessCodeBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="codes",
        help_text="The generation run that made this code; empty for codes typed by hand.",
        db_constraint=False,
    )
    # Withdrawn (a leaked batch, say): refused at booking, its bookings so far left for staff to review.
    blocked_at = models.DateTimeField("withdrawn", null=True, blank=True, editable=False)
    # A database default, as created_at: bulk loads (COPY) do not send it.
    blocked_reason = models.CharField(
        "reason withdrawn",
        max_length=200,
        blank=True,
        default="",
        db_default="",
        editable=False,
        validators=[validate_one_line],
    )

    class Meta:
        ordering = ["-pk"]  # newest first, from the primary key index rather than a sort
        constraints = [
            models.CheckConstraint(condition=models.Q(max_usages__gte=1), name="access_code_max_usages_positive"),
            models.UniqueConstraint(
                fields=["value"],
                name="access_code_value_unique",
                opclasses=["varchar_pattern_ops"],
                violation_error_message="This access code already exists.",
            ),
        ]
        permissions = [("export_accesscode", "Can export access codes")]
        indexes = [
            # Only withdrawn codes, by batch: a batch's withdrawn codes and their bookings, and the
            # dashboard's count, are read from it without touching the million codes in use.
            models.Index(fields=["batch"], condition=models.Q(blocked_at__isnull=False), name="access_code_blocked"),
            # A film's codes, newest first: the admin's film filter, its capped count, a film's deletion.
            models.Index(
                fields=["valid_for", "id"], condition=models.Q(valid_for__isnull=False), name="access_code_valid_for"
            ),
        ]

    def __str__(self) -> str:
        return self.value

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None


class AccessCodeBlock(models.Model):
    """One withdrawal or restoring of access codes: who, when, why, which codes, how many.

    One row per act, however many codes it touched: withdrawing a batch of a million codes is one
    row. ``count`` rises in the transaction of each chunk of codes changed, so it is exact even
    when a background run stops part-way.
    """

    class Action(models.TextChoices):
        BLOCK = "block", "Withdrawn"
        UNBLOCK = "unblock", "Restored"

    class Scope(models.TextChoices):
        CODE = "code", "One code"
        BATCH = "batch", "A batch"
        LIST = "list", "A list of codes"

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=7, choices=Action)
    scope = models.CharField(max_length=5, choices=Scope)
    batch = models.ForeignKey(AccessCodeBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="blocks")
    code = models.ForeignKey(
        "AccessCode", on_delete=models.SET_NULL, null=True, blank=True, related_name="blocks", db_index=False
    )
    requested = models.PositiveIntegerField(help_text="Codes named, by the code, the batch or the list.")
    count = models.PositiveIntegerField(default=0, help_text="Codes changed; the others were already so.")
    reason = models.CharField(max_length=200, blank=True)
    run = models.ForeignKey(DataRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "withdrawal or restoring of codes"
        verbose_name_plural = "code withdrawals"

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.count:,} of {self.requested:,} codes ({self.get_scope_display()})"


class Reservation(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    reference = models.CharField("reference", max_length=16, unique=True, default=reservation_reference, editable=False)
    name = models.CharField(max_length=200, validators=[validate_one_line])
    email = models.EmailField()
    access_code = models.ForeignKey(AccessCode, on_delete=models.PROTECT, related_name="reservations")
    # No separate FK index: the (screening, quantity) index below serves lookups by screening and
    # lets seats-reserved sums be answered from the index alone.
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="reservations", db_index=False)
    quantity = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(MAX_SEATS_PER_RESERVATION)], help_text="0 cancels the reservation."
    )
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    # Who changed what, before and after; erased with the person (services/personal_data.py).
    history = HistoricalRecords()

    objects = ReservationManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        # Exports hold customers' names and emails, so they need their own grant; so does erasing them.
        permissions = [
            ("export_reservation", "Can export reservations"),
            ("erase_reservation", "Can erase customers' personal data"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0, quantity__lte=MAX_SEATS_PER_RESERVATION),
                name="reservation_quantity_0_to_4",
            ),
            # One active booking per person, as the campaign's original form allowed. Decided by
            # the database, so two bookings racing on different screenings cannot both pass.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(quantity__gt=0),
                name="reservation_one_active_per_email",
                violation_error_message="This email address already has an active reservation.",
            ),
        ]
        indexes = [
            models.Index(fields=["screening", "quantity"], name="reservation_screening_qty"),
            models.Index(fields=["email"], name="reservation_email"),
            # The admin's search by a whole email address, in any case (UPPER(email) = UPPER(term)).
            # Other words are searched by part in names and emails through trigram indexes on
            # UPPER(name) and UPPER(email), PostgreSQL's only (migration 0025; SQLite reads the table).
            models.Index(Upper("email"), name="reservation_email_upper"),
            # The admin's list order: any page is read from the index instead of sorting every row.
            models.Index(fields=["-created_at", "-id"], name="reservation_newest_first"),
            # Codes in use (the dashboard's "Codes used", a code's uses at booking): read in code
            # order from the active bookings alone, without sorting or reading the rows.
            models.Index(fields=["access_code"], condition=models.Q(quantity__gt=0), name="reservation_active_code"),
        ]

    def __str__(self) -> str:
        # No name: this text is copied into the admin's log, which must not hold personal data.
        seats = ngettext("%(count)d seat", "%(count)d seats", self.quantity) % {"count": self.quantity}
        return f"{self.reference} ({seats})"

    def allocate_tickets(self, *, held: Iterable[tuple[int, int]] | None = None) -> None:
        """Make this reservation hold exactly ``quantity`` tickets, all of its screening's film.

        The one place tickets are linked and unlinked. Tickets it already holds for the right
        film are kept (a customer's codes survive an edit that keeps the film); surplus and
        wrong-film ones (a move to another film's screening) go back, and free ones of the film
        are linked. Quantity 0 unlinks them all. At most three queries whatever the quantity.
        Not enough free stock: ValidationError, and the caller's transaction (the booking) rolls
        back with it. Call it inside ``reservation_booking``, which holds the locks that make the
        counts final.

        ``held``: the (pk, film pk) of the tickets it holds, when the caller knows them without
        asking (a reservation saved a moment ago holds none); read from the database otherwise.
        """
        film_id = self.screening.film_id
        # No savepoint of its own: a failure here must undo the whole booking, not just this part.
        with transaction.atomic(savepoint=False):
            if held is None:
                held = self.tickets.order_by("pk").values_list("pk", "film_id")
            held = list(held)
            keep = set([pk for pk, film in held if film == film_id][: self.quantity])
            release = [pk for pk, _ in held if pk not in keep]
            missing = self.quantity - len(keep)
            taken = []
            if missing > 0:
                # SKIP LOCKED: concurrent bookings of the film each take different free tickets
                # instead of queueing behind the first rows, and a ticket another transaction has
                # locked is never handed out twice. (SQLite has no row locks; its writers queue.)
                # Locked and read first, then linked by pk: as a subquery of the UPDATE, the planner
                # may run the LIMIT again for every row it updates and link more than ``missing``.
                free = Ticket.objects.free().filter(film_id=film_id).order_by("pk").select_for_update(skip_locked=True)
                taken = list(free.values_list("pk", flat=True)[:missing])
                if len(taken) < missing:
                    free_now = f"only {len(taken)} {'is' if len(taken) == 1 else 'are'} free"
                    raise ValidationError(
                        {
                            NON_FIELD_ERRORS: f"Not enough tickets left for {self.screening.film}: this reservation "
                            f"needs {missing} more and {free_now}. Load more ticket stock for the film first."
                        }
                    )
            if release or taken:
                # Released and linked in one statement: the films' ticket counts (TicketCount)
                # it moves are then locked together, in film order, so two bookings moving
                # between two films in opposite directions cannot deadlock on them.
                holder = Case(When(pk__in=taken, then=Value(self.pk)), default=None)
                Ticket.objects.filter(pk__in=[*release, *taken]).update(reservation=holder)


class Ticket(models.Model):
    code = models.CharField(
        max_length=64, unique=True, validators=[validate_one_line], help_text="Supplied by the cinema chain."
    )
    film = models.ForeignKey(Film, on_delete=models.PROTECT, related_name="tickets")
    reservation = models.ForeignKey(
        Reservation, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    # The QR image is drawn from the code whenever an email carries it, so none is stored.
    issued_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When its code first went to a customer in an email."
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        permissions = [("import_ticket", "Can import tickets"), ("export_ticket", "Can export tickets")]
        indexes = [
            # Allocation looks for free tickets of one film; the partial index holds only those.
            # Its condition is TICKET_FREE, the one definition of a free ticket (TicketQuerySet.free()).
            models.Index(fields=["film", "id"], condition=TICKET_FREE, name="ticket_free_by_film"),
            # Each film's held tickets, counted from the index alone (the films list).
            models.Index(fields=["film"], condition=TICKET_HELD, name="ticket_held_by_film"),
            # Void tickets, few: a film's in the list's order (code), and counted per film.
            models.Index(fields=["film", "code"], condition=TICKET_VOID, name="ticket_void_by_film"),
            # A film's tickets no booking holds (free or void) in the list's order (code): its
            # free tickets' page, which ticket_free_by_film (in pk order, for allocation) cannot give.
            models.Index(
                fields=["film", "code"], condition=models.Q(reservation__isnull=True), name="ticket_unheld_by_film"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def state(self) -> str:
        if self.reservation_id is not None:
            return "held"
        return "void" if self.issued_at is not None else "free"


class TicketCount(models.Model):
    """A film's tickets by state (``Ticket.state``), kept by database triggers on tickets
    (migration 0026) in the transaction of each write, whatever writes it: allocation, an
    import, an email issuing codes, a deletion. The films list and the dashboard read it instead
    of counting millions of tickets. Never written by the application; ``manage.py
    recount_campaign`` counts it again from the tickets.

    A booking's ticket update holds its film's row until it commits, so bookings of one film
    queue for each other's last few milliseconds (their emails and commit), not for their tickets.
    """

    film = models.OneToOneField(Film, on_delete=models.CASCADE, primary_key=True, related_name="+")
    # Plain integers: the triggers add signed changes (PostgreSQL checks a row's constraints
    # before it finds the row the change adds to).
    free = models.IntegerField(default=0)
    held = models.IntegerField(default=0)
    void = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.film_id}: {self.free} free, {self.held} held, {self.void} void"


class BookingCount(models.Model):
    """A screening's bookings by the batch and film of their codes, kept by database triggers
    on reservations (migration 0026) in the transaction of each write: seats booked, bookings
    holding seats, bookings cancelled, and codes redeemed. The end-of-campaign report and the
    dashboard add these rows up instead of joining a million bookings to ten million codes.
    Never written by the application; ``manage.py recount_campaign`` counts it again.

    ``redeemed`` moves on the row of the screening whose booking redeemed a code, or stopped it
    being redeemed (a code used at two screenings is one code): only its sum over screenings is
    a count of codes. Every row a booking moves is of a screening it holds locked, so bookings
    queue for nothing they did not queue for already.
    """

    screening = models.ForeignKey(Screening, on_delete=models.CASCADE, related_name="+", db_index=False)
    batch = models.ForeignKey(
        AccessCodeBatch, on_delete=models.CASCADE, null=True, related_name="+", db_constraint=False
    )
    film = models.ForeignKey(Film, on_delete=models.CASCADE, null=True, related_name="+")  # the codes' valid_for
    # Plain integers, as TicketCount's.
    seats = models.IntegerField(default=0)
    active = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)
    redeemed = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The triggers' ON CONFLICT key: no batch (typed codes) and any film are keys too.
            models.UniqueConstraint(
                F("screening"), Coalesce("batch", 0), Coalesce("film", 0), name="booking_count_key"
            ),
        ]

    def __str__(self) -> str:
        return f"Screening {self.screening_id}, batch {self.batch_id}, film {self.film_id}: {self.seats} seats"


class BookingHour(models.Model):
    """Bookings made in each hour (UTC), cancelled ones included, per film of their screening,
    kept by the same triggers as ``BookingCount``: the dashboard's bookings per day add these up
    instead of reading every booking. Per film so that a booking waits here only for bookings of
    its own film, which it queues behind for the film's ``TicketCount`` already; only sums over
    films are read."""

    hour = models.DateTimeField()
    film = models.ForeignKey(Film, on_delete=models.CASCADE, related_name="+", db_index=False)
    bookings = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hour", "film"], name="booking_hour_key")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00}, film {self.film_id}: {self.bookings}"


class DataExchangeLog(models.Model):
    """One spreadsheet import or export done by a staff member in the admin."""

    class Action(models.TextChoices):
        IMPORT = "import", "Import"
        EXPORT = "export", "Export"

    created_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=6, choices=Action)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+", verbose_name="data"
    )
    file_format = models.CharField("format", max_length=10)
    file_name = models.CharField(max_length=255, blank=True, validators=[validate_one_line])
    rows = models.PositiveIntegerField(help_text="Rows in the file.")
    # Import outcome; empty for exports.
    new_rows = models.PositiveIntegerField(null=True, blank=True)
    updated_rows = models.PositiveIntegerField(null=True, blank=True)
    skipped_rows = models.PositiveIntegerField(null=True, blank=True, help_text="Unchanged rows.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "spreadsheet import or export"
        verbose_name_plural = "spreadsheet imports and exports"

    def __str__(self) -> str:
        return f"{self.get_action_display()} of {self.rows:,} {self.content_type.name} rows ({self.file_format})"


class CampaignContact(models.Model):
    """How the public reaches campaign staff to book: one row, edited in the admin, shown by the site."""

    SINGLETON_ID = 1

    # A fixed key and a check constraint: the database itself holds the campaign to one contact.
    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    phone = models.CharField(
        max_length=40,
        blank=True,
        validators=[
            RegexValidator(
                r"^\+?[0-9][0-9 ()-]{4,}$",
                "Enter a phone number: digits, spaces, and + ( ) - only, e.g. 0800 123 4567.",
            )
        ],
    )
    email = models.EmailField(blank=True)
    opening_hours = models.CharField(max_length=200, blank=True, help_text='e.g. "Monday to Friday, 9am to 5pm".')
    text = models.TextField(
        "more about booking", blank=True, help_text='Shown under the contact, e.g. "Have your access code ready."'
    )
    # Here rather than in a row of its own: it is public text staff edit beside the contact it
    # names, is cached and invalidated with it, and the roles that edit the contact already may.
    privacy_notice = models.TextField(
        blank=True,
        help_text="Shown on the public site's Privacy page as plain text; a blank line starts a new paragraph. "
        "Leave empty to show the standard notice below.",
    )

    class Meta:
        verbose_name = "campaign contact"
        verbose_name_plural = "campaign contact"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="campaign_contact_single_row"),
        ]

    def __str__(self) -> str:
        return "Campaign contact"

    @classmethod
    def load(cls) -> "CampaignContact":
        """The contact, or an empty one (not saved) before staff first fill it in."""
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls(pk=cls.SINGLETON_ID)

    def privacy_notice_text(self) -> str:
        """What the public site's Privacy page says: staff's notice, or the standard one."""
        return self.privacy_notice.strip() or self.standard_privacy_notice()

    def standard_privacy_notice(self) -> str:
        days = settings.PERSONAL_DATA_RETENTION_DAYS
        ways = [f"by phone on {self.phone}" if self.phone else "", f"by email at {self.email}" if self.email else ""]
        reach = " or ".join(way for way in ways if way) or "using the booking details on this site"
        return STANDARD_PRIVACY_NOTICE.format(days=f"{days} day{'' if days == 1 else 's'}", reach=reach)


STANDARD_PRIVACY_NOTICE = """\
Xmas Films gives away free cinema tickets to Christmas films. This notice says what we keep about \
you when you book, why, and for how long.

What we keep: your name and email address, and the screening, seats, access code and tickets of \
your booking. If you book online, we also record the IP address your booking came from; bookings \
campaign staff make for you on the phone record none.

Why: to hold your seats, to send you your tickets, any change to your booking and a reminder \
before the screening, to give the cinema its list of names at the door, and to make sure each \
access code is used only as often as it allows.

How long: {days} after your screening ends, your name, email address and IP address are replaced \
with anonymous values. We keep only the number of seats and tickets used, for the campaign's \
reporting.

Your rights: you can ask for a copy of everything we hold about you, or for it to be erased \
straight away. Contact the campaign team {reach}, giving the email address you booked with."""


def new_message_id() -> str:
    """A Message-ID of its own for each outbox row: a repeat delivery of a row carries the same one."""
    return f"<{uuid.uuid4().hex}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


class Email(models.Model):
    """One message in the outbox: written in the transaction of the change that causes it.

    The workers send it (services/emails.py); the row, not the broker, is the record of what
    must still go out, so a worker crash, a broker outage or an SMTP failure loses nothing.
    ``payload`` is what the message says, taken when it was queued: a later change to the
    booking sends its own message rather than rewriting this one.
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation"
        UPDATE = "update", "Updated confirmation"
        ADDRESS_CHANGED = "address_changed", "Note to the previous address"
        CANCELLATION = "cancellation", "Cancellation"
        SCREENING_CANCELLED = "screening_cancelled", "Screening cancelled"
        REMINDER = "reminder", "Reminder"
        DOOR_LIST = "door_list", "Door list"

    #: Kinds that carry the booking's ticket codes (none when it holds none) and a calendar entry.
    #: The one list: what is queued, what a message shows and the admin's previews all read it.
    WITH_TICKETS = frozenset({Kind.CONFIRMATION, Kind.UPDATE, Kind.REMINDER, Kind.SCREENING_CANCELLED})

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=24, choices=Kind)
    reservation = models.ForeignKey(
        Reservation, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    screening = models.ForeignKey(Screening, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails")
    to = models.EmailField()
    payload = models.JSONField(default=dict, editable=False)
    message_id = models.CharField("Message-ID", max_length=255, unique=True, default=new_message_id, editable=False)
    status = models.CharField(max_length=6, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, help_text="Not tried again before this time.")
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Once per reservation and once per screening, even with two beat processes.
            models.UniqueConstraint(
                fields=["reservation"], condition=models.Q(kind="reminder"), name="email_one_reminder_per_reservation"
            ),
            models.UniqueConstraint(
                fields=["screening"], condition=models.Q(kind="door_list"), name="email_one_door_list_per_screening"
            ),
        ]
        indexes = [
            # The sweeper's question: which queued messages are due?
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="queued"), name="email_queued_due"),
            # The dashboard's question, and the admin's status filter: which are waiting or failed?
            models.Index(fields=["status"], name="email_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to} ({self.get_status_display()})"

    @property
    def waiting_for_retry(self) -> bool:
        """Tried, failed, and queued again: ``next_attempt_at`` is when the next try may start."""
        return self.status == self.Status.QUEUED and self.attempts > 0
