"""manage.py generate_access_codes under faults, run as a real process against the test database.

Signals, a dead or frozen database and a full disk each end the run with one clear line on
stderr, never a traceback; the batch is marked failed with that line; file and database agree.
"""

import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from backoffice.campaign.models import AccessCode, AccessCodeBatch
from backoffice.campaign.tests.codes_support import batch_values, csv_values, whole_line_values
from backoffice.campaign.tests.locking import transaction_held_elsewhere
from backoffice.campaign.tests.servers import database_url

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def start(path: Path, count: int = 400_000, *, env: dict | None = None, preexec_fn=None) -> subprocess.Popen:
    # The test database, as a URL (a socket folder too, as make test's throwaway server uses).
    url = database_url(connection.settings_dict)
    environment = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", **(env or {})}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "manage.py", "generate_access_codes", str(count), "--batch-size", "1000"]
    return subprocess.Popen(
        [*command, "--output", str(path)],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec_fn,
    )


def wait_for_progress(child: subprocess.Popen) -> None:
    """Return once the run has committed a batch of codes; fail if it never does."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if AccessCode.objects.exists():
            return
        assert child.poll() is None, child.communicate()[1]
        time.sleep(0.05)
    child.kill()
    raise AssertionError("the run never committed a batch")


def finish(child: subprocess.Popen, timeout: float = 60) -> str:
    """The child's stderr, once it has exited (killed if it outlives ``timeout``)."""
    try:
        _, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise AssertionError(f"the command was still running after {timeout} s") from None
    return stderr


def assert_one_clear_line(stderr: str, child: subprocess.Popen, *reasons: str) -> str:
    """The run's single error line; the batch failed with it; the file holds exactly its codes."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    [line] = lines
    assert line.startswith("CommandError: Stopped after "), line
    assert any(reason in line for reason in reasons), line
    assert child.returncode != 0
    batch = AccessCodeBatch.objects.get()
    assert batch.status == AccessCodeBatch.Status.FAILED
    assert batch.error == line.removeprefix("CommandError: ")
    assert batch.created_count == AccessCode.objects.count() < 400_000
    return line


def disturb_a_run(tmp_path: Path, disturb: Callable[[subprocess.Popen], None], *reasons: str, env=None) -> None:
    """Start a run, ``disturb`` it once it has committed codes, then check how it ended."""
    path = tmp_path / "codes.csv"
    child = start(path, env=env)
    wait_for_progress(child)
    disturb(child)
    assert_one_clear_line(finish(child), child, *reasons)
    assert csv_values(path.read_text()) == batch_values(AccessCodeBatch.objects.get())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_run_with_file_and_database_agreeing(tmp_path, signum):
    disturb_a_run(tmp_path, lambda child: child.send_signal(signum), "interrupted")


def hold_ctrl_c_down(child: subprocess.Popen) -> None:
    # Signals keep coming while the run winds down, until the process ends.
    deadline = time.monotonic() + 30
    while child.poll() is None and time.monotonic() < deadline:
        child.send_signal(signal.SIGINT)
        time.sleep(0.001)


def test_ctrl_c_pressed_again_and_again_still_ends_cleanly(tmp_path):
    disturb_a_run(tmp_path, hold_ctrl_c_down, "interrupted")


def terminate_its_connection(child: subprocess.Popen) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def test_a_dead_database_connection_still_marks_the_batch_failed(tmp_path):
    disturb_a_run(tmp_path, terminate_its_connection, "terminat", "closed the connection")


def freeze_inserts() -> None:
    table = connection.ops.quote_name(AccessCode._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")


def test_a_frozen_database_ends_the_run_after_the_statement_timeout(tmp_path):
    with ExitStack() as held:
        disturb_a_run(
            tmp_path,
            lambda child: held.enter_context(transaction_held_elsewhere(freeze_inserts)),
            "statement timeout",
            env={"ACCESS_CODES_STATEMENT_TIMEOUT": "1"},
        )


def limit_file_size() -> None:
    # As a full disk would: writes past 200 kB fail (EFBIG) instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


def test_a_full_disk_ends_the_run_with_one_clear_line(tmp_path):
    path = tmp_path / "codes.csv"
    child = start(path, count=20_000, preexec_fn=limit_file_size)
    line = assert_one_clear_line(finish(child), child, "File too large")
    assert "download the batch from the admin" in line
    # The file was cut back to its last whole batch, and the line says how many codes that is.
    written = whole_line_values(path.read_bytes())
    assert written
    assert set(written) < set(batch_values(AccessCodeBatch.objects.get()))
    assert f"holds only {len(written):,} of them, each on a whole line" in line
