import errno
import io
import logging
import os
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, suppress
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import DatabaseError, connection
from django.utils import timezone

from backoffice.campaign.models import AccessCodeBatch, Film
from backoffice.campaign.services.access_codes import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
    MAX_COUNT,
    MAX_USAGES,
    AccessCodeGenerationError,
    CsvFile,
    access_codes_film_warning,
    access_codes_generate,
    first_line,
)


class Command(BaseCommand):
    help = (
        "Create COUNT new random access codes (XXXX-XXXX-XXXX-XXXX) in the database and write them to a "
        "CSV file readable by its owner only. Every argument is checked before the database is touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", metavar="COUNT", help=f"how many new codes to create, 1 to {MAX_COUNT:,}")
        parser.add_argument(
            "--output",
            "-o",
            metavar="PATH",
            help="the CSV file to write (default: data/access-codes-<date>-<time>.csv); it must not exist "
            "unless --force is given",
        )
        parser.add_argument(
            "--batch-size",
            metavar="N",
            default=str(DEFAULT_BATCH_SIZE),
            help=f"codes written per transaction, 1 to {MAX_BATCH_SIZE:,} (default {DEFAULT_BATCH_SIZE:,})",
        )
        parser.add_argument(
            "--film", metavar="FILM", help="make the codes valid for this film only: its slug or exact name"
        )
        parser.add_argument(
            "--max-usages", metavar="N", default="1", help=f"reservations each code allows, 1 to {MAX_USAGES:,}"
        )
        parser.add_argument("--force", action="store_true", help="overwrite the output file if it already exists")

    def handle(self, *args, **options) -> None:
        count = _whole_number(options["count"], "COUNT", MAX_COUNT)
        batch_size = _whole_number(options["batch_size"], "--batch-size", MAX_BATCH_SIZE)
        max_usages = _whole_number(options["max_usages"], "--max-usages", MAX_USAGES)
        try:
            film = _film(options["film"])
        except DatabaseError as exc:
            raise CommandError(f"Cannot read the films from the database: {first_line(exc)}") from exc
        if warning := access_codes_film_warning(film):
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        path = _output_path(options["output"], force=options["force"])
        output = _private_file(path, overwrite=options["force"])
        progress = Progress(self.stdout, enabled=options["verbosity"] >= 1)
        started = time.perf_counter()
        try:
            with _stop_requests() as stop_requested, _driver_noise_logged():

                def progress_or_stop(done: int, total: int) -> None:
                    progress(done, total)
                    if stop_requested():
                        raise KeyboardInterrupt

                _limit_statement_time(settings.ACCESS_CODES_STATEMENT_TIMEOUT)
                batch = access_codes_generate(
                    count=count,
                    batch_size=batch_size,
                    film=film,
                    max_usages=max_usages,
                    source=AccessCodeBatch.Source.COMMAND,
                    output=output,
                    progress=progress_or_stop,
                )
        except AccessCodeGenerationError as exc:
            _close_after_failure(output)
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            _close_after_failure(output)
            raise CommandError(
                f"The database refused to start the run, nothing was created: {first_line(exc)}"
            ) from exc
        finally:
            progress.close()
        try:
            output.close()
        except OSError as exc:
            raise CommandError(
                f"Batch {batch.pk} holds all {batch.created_count:,} codes, but {path} could not be completed: "
                f"{exc.strerror}. Download the batch from the admin."
            ) from exc
        seconds = time.perf_counter() - started
        if options["verbosity"] < 1:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {batch.created_count:,} codes in {duration(seconds)} "
                f"({batch.created_count / seconds:,.0f} codes/s), batch {batch.pk}: {path}"
            )
        )


@contextmanager
def _driver_noise_logged() -> Iterator[None]:
    """Keep the run's stderr to its one closing line.

    When the server drops the connection in the middle of a COPY, psycopg2 prints the notice it
    could not decode straight to stderr; the run's own error already says what happened, so that
    text goes to the log instead.
    """
    stray = io.StringIO()
    try:
        with redirect_stderr(stray):
            yield
    finally:
        if stray.getvalue().strip():
            logging.getLogger(__name__).debug("Database driver output during the run: %s", stray.getvalue())


@contextmanager
def _stop_requests() -> Iterator[Callable[[], bool]]:
    """Ctrl-C (SIGINT) and SIGTERM ask the run to stop once the batch in progress is committed.

    The signals interrupt nothing, so a second one cannot cut short the winding down either: the
    batch is marked failed and the file closed, however often they come. Once a stop has been
    asked for, later signals are ignored until the process has said why it stopped and ended.
    Signals reach only the main thread; elsewhere the block changes nothing.
    """
    requested = False

    def request_stop(signum, frame) -> None:
        # Only a flag: writing here could land inside a write of the interrupted code.
        nonlocal requested
        requested = True

    if threading.current_thread() is not threading.main_thread():
        yield lambda: requested
        return
    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: requested
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_IGN if requested else handler)


def _limit_statement_time(seconds: int) -> None:
    """Bound every statement of the run (the rest of this connection's session) on PostgreSQL."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{seconds}s"])


def _close_after_failure(output: CsvFile) -> None:
    with suppress(OSError):
        output.close()


class Progress:
    """A progress bar on a terminal; a plain line every tenth of the way otherwise (logs, pipes)."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper, *, enabled: bool = True) -> None:
        self.out = out
        self.enabled = enabled
        self.tty = out.isatty()
        self.started = time.perf_counter()
        self.shown_at = 0.0
        self.tenths_shown = 0
        self.bar_open = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self.started
        if self.tty:
            # A redraw costs little, but a million codes in batches of 10,000 would redraw 100 times a run.
            if done < total and now - self.shown_at < 0.1:
                return
            filled = self.WIDTH * done // total
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.out.write(f"\r[{bar}] {done / total:4.0%} {done:,}/{total:,} codes {elapsed:5.1f} s", ending="")
            self.out.flush()
            self.shown_at = now
            self.bar_open = True
        elif (tenths := 10 * done // total) > self.tenths_shown:
            self.tenths_shown = tenths
            self.out.write(f"{done:,} of {total:,} codes ({done / total:.0%}), {elapsed:.1f} s")

    def close(self) -> None:
        if self.bar_open:
            self.out.write("")
            self.bar_open = False


def _whole_number(text: str, name: str, maximum: int) -> int:
    try:
        number = int(str(text).strip())
    except ValueError:
        raise CommandError(f"{name} must be a whole number from 1 to {maximum:,}, not {text!r}.") from None
    if number < 1:
        raise CommandError(f"{name} must be at least 1, not {number:,}.")
    if number > maximum:
        raise CommandError(f"{name} must be at most {maximum:,}, not {number:,}. Split the job into several runs.")
    return number


def _film(slug_or_name: str | None) -> Film | None:
    if slug_or_name is None:
        return None
    film = Film.objects.filter(slug=slug_or_name).first()
    if film is not None:
        return film
    named = list(Film.objects.filter(name=slug_or_name).order_by("slug")[:10])
    if len(named) == 1:
        return named[0]
    if named:
        slugs = ", ".join(film.slug for film in named)
        raise CommandError(f"{len(named)} films are named {slug_or_name!r}; give the slug: {slugs}.")
    known = list(Film.objects.order_by("slug").values_list("slug", flat=True)[:10])
    hint = f" Known films: {', '.join(known)}{', ...' if len(known) == 10 else ''}." if known else ""
    raise CommandError(f"No film has the slug or name {slug_or_name!r}.{hint}")


def duration(seconds: float) -> str:
    """``12 ms`` below a second, ``3.4 s`` from there on."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _output_path(option: str | None, *, force: bool) -> Path:
    if option is not None and option.endswith(("/", os.sep)):
        # Path() drops the slash: "dir/new/" would become a file named "new" in dir.
        raise CommandError(f"--output {option} names a folder; give it a file name, e.g. {option}codes.csv.")
    if option is None:
        folder = Path(settings.DATA_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"access-codes-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
    else:
        path = Path(option).expanduser()
    folder = path.parent
    if not folder.is_dir():
        raise CommandError(f"The folder {folder} does not exist; create it first or choose another --output.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(f"The folder {folder} is not writable; choose another --output.")
    if path.is_symlink():
        raise CommandError(_SYMLINK.format(path=path))
    if path.is_dir():
        raise CommandError(f"{path} is a folder; give --output a file name.")
    if path.exists() and not force:
        raise CommandError(f"{path} already exists; choose another --output, or add --force to overwrite it.")
    if path.exists() and not path.is_file():
        raise CommandError(_NOT_A_FILE.format(path=path))
    return path


_SYMLINK = "{path} is a symbolic link; --force never follows one. Give --output the file itself."
_NOT_A_FILE = "{path} is not a regular file; --force overwrites only files."


def _private_file(path: Path, *, overwrite: bool) -> CsvFile:
    """Open ``path`` for writing, readable by its owner only: the codes are secrets.

    The checks of ``_output_path`` ran on a name another process may since have swapped, so the
    file is opened without following a symbolic link and without waiting on a FIFO, and checked
    again through the open descriptor before anything in it is truncated.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | (0 if overwrite else os.O_EXCL)

    def opener(name: str, _flags: int) -> int:
        fd = os.open(name, flags, 0o600)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise CommandError(_NOT_A_FILE.format(path=path))
            if info.st_nlink != 1:
                raise CommandError(
                    f"{path} has other names (hard links); --force overwrites only a file with one name."
                )
            os.ftruncate(fd, 0)
            os.fchmod(fd, 0o600)  # an overwritten file would keep its old, maybe wider, permissions
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return fd

    try:
        return CsvFile(open(str(path), "wb", buffering=0, opener=opener))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CommandError(_SYMLINK.format(path=path)) from exc
        if exc.errno == errno.ENXIO:  # a FIFO nobody reads
            raise CommandError(_NOT_A_FILE.format(path=path)) from exc
        raise CommandError(f"Cannot create {path}: {exc.strerror}.") from exc
