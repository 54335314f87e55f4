"""manage.py generate_access_codes: checks before the database, a private CSV, progress, a summary."""

import io
import os
import re
import stat
import threading

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper
from django.db import connection

from backoffice.campaign import codes
from backoffice.campaign.factories import AccessCodeFactory, FilmFactory, ScreeningFactory
from backoffice.campaign.management.commands import generate_access_codes as command
from backoffice.campaign.management.commands.generate_access_codes import Progress
from backoffice.campaign.models import AccessCode, AccessCodeBatch
from backoffice.campaign.tests.codes_support import (
    batch_values,
    code_batches_fail_after,
    csv_records,
    csv_values,
    repeating_source,
)

pytestmark = pytest.mark.django_db


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_access_codes", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_creates_the_codes_and_a_private_csv_of_exactly_them(tmp_path):
    path = tmp_path / "codes.csv"
    out = generate("25", "--output", str(path), "--batch-size", "10")
    batch = AccessCodeBatch.objects.get()
    assert (batch.created_count, batch.status, batch.source) == (25, "completed", "command")
    assert csv_values(path.read_text()) == batch_values(batch)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("Created 25 codes in ")
    assert "codes/s" in summary
    assert summary.endswith(f"batch {batch.pk}: {path}")


def test_film_and_max_usages_reach_every_code(tmp_path):
    film = FilmFactory(slug="elf")
    ScreeningFactory(film=film)
    path = tmp_path / "codes.csv"
    generate("7", "--film", "elf", "--max-usages", "3", "--output", str(path))
    assert set(AccessCode.objects.values_list("valid_for", "max_usages")) == {(film.pk, 3)}
    assert {(r["film"], r["max_usages"]) for r in csv_records(path.read_text())} == {("elf", "3")}


def test_default_output_goes_to_the_data_folder(tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    out = generate("3")
    [path] = (tmp_path / "data").glob("access-codes-*.csv")
    assert str(path) in out
    assert len(csv_records(path.read_text())) == 3


def test_plain_progress_lines_off_a_terminal(tmp_path):
    out = generate("30", "--batch-size", "10", "--output", str(tmp_path / "codes.csv"))
    assert "10 of 30 codes (33%)" in out
    assert "30 of 30 codes (100%)" in out


def test_verbosity_zero_prints_nothing(tmp_path):
    assert generate("3", "-v", "0", "--output", str(tmp_path / "codes.csv")) == ""
    assert len(csv_records((tmp_path / "codes.csv").read_text())) == 3


def test_progress_bar_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress(OutputWrapper(stream))
    progress(50, 100)
    progress(100, 100)
    progress.close()
    text = stream.getvalue()
    assert text.startswith("\r[")
    assert "\r[" + "#" * Progress.WIDTH + "] 100% 100/100 codes" in text
    assert text.endswith("\n")


def test_force_overwrites_and_makes_the_file_private(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("old\n")
    path.chmod(0o644)
    generate("4", "--output", str(path), "--force")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(csv_records(path.read_text())) == 4


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["0"], "COUNT must be at least 1, not 0."),
        (["-5"], "COUNT must be at least 1, not -5."),
        (["abc"], "COUNT must be a whole number from 1 to 20,000,000, not 'abc'."),
        (["1e6"], "COUNT must be a whole number"),
        (["20000001"], "COUNT must be at most 20,000,000, not 20,000,001."),
        (["99999999999999999999"], "COUNT must be at most 20,000,000"),
        (["10", "--batch-size", "0"], "--batch-size must be at least 1, not 0."),
        (["10", "--batch-size", "many"], "--batch-size must be a whole number"),
        (["10", "--batch-size", "1000001"], "--batch-size must be at most 100,000"),
        (["10", "--max-usages", "0"], "--max-usages must be at least 1, not 0."),
        (["10", "--film", "no-such-film"], "No film has the slug or name 'no-such-film'. Known films: elf."),
    ],
)
def test_bad_arguments_are_refused_before_the_database_is_touched(tmp_path, arguments, message):
    FilmFactory(slug="elf")
    path = tmp_path / "codes.csv"
    with pytest.raises(CommandError) as raised:
        generate(*arguments, "--output", str(path))
    assert message in str(raised.value)
    assert not AccessCodeBatch.objects.exists()
    assert not AccessCode.objects.exists()
    assert not path.exists()


def test_output_in_a_missing_folder_is_refused(tmp_path):
    path = tmp_path / "missing" / "codes.csv"
    with pytest.raises(CommandError, match=r"The folder .*missing does not exist"):
        generate("10", "--output", str(path))
    assert not AccessCodeBatch.objects.exists()


@pytest.mark.parametrize("folder", ["new/", "existing/"])
def test_output_ending_in_a_slash_is_refused_as_a_folder(tmp_path, folder):
    (tmp_path / "existing").mkdir()
    with pytest.raises(CommandError, match=f"--output {tmp_path}/{folder} names a folder; give it a file name"):
        generate("10", "--output", f"{tmp_path}/{folder}")
    assert [path.name for path in tmp_path.iterdir()] == ["existing"]  # no file named "new"
    assert not any((tmp_path / "existing").iterdir())
    assert not AccessCodeBatch.objects.exists()


def test_output_under_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(CommandError, match="does not exist"):
        generate("10", "--output", str(tmp_path / "file" / "codes.csv"))
    assert not AccessCodeBatch.objects.exists()


def test_output_that_is_a_folder_is_refused(tmp_path):
    with pytest.raises(CommandError, match="is a folder"):
        generate("10", "--output", str(tmp_path))
    assert not AccessCodeBatch.objects.exists()


def test_existing_output_is_kept_without_force(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("precious\n")
    with pytest.raises(CommandError, match=r"already exists; choose another --output, or add --force"):
        generate("10", "--output", str(path))
    assert path.read_text() == "precious\n"
    assert not AccessCodeBatch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_database_error_mid_run_says_how_many_codes_were_written_and_where(tmp_path):
    path = tmp_path / "codes.csv"
    with code_batches_fail_after(2), pytest.raises(CommandError) as raised:
        generate("50", "--batch-size", "10", "--output", str(path))
    assert str(raised.value).startswith("Stopped after 20 of 50 codes: injected failure")
    assert f"all written to {path}" in str(raised.value)
    batch = AccessCodeBatch.objects.get()
    assert (batch.status, batch.created_count) == ("failed", 20)
    assert csv_values(path.read_text()) == batch_values(batch)


def run_at_once(barrier: threading.Barrier, errors: list, count: int, path) -> None:
    """One run of the command in a thread with its own connection, started with the others."""
    try:
        barrier.wait()
        generate(str(count), "--batch-size", "25", "--output", str(path))
    except Exception as exc:
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_each_deliver_their_count_without_duplicates(tmp_path, monkeypatch):
    per_run, rounds = 150, 6
    # In each round both runs draw from one pool of 400 codes: they race for the same values.
    pools = [codes.access_code_values(400) for _ in range(rounds)]
    for round_, pool in enumerate(pools):
        monkeypatch.setattr(codes, "random_bytes", repeating_source(pool, seed=round_))
        barrier = threading.Barrier(2)
        errors = []
        paths = [tmp_path / f"round{round_}-run{run}.csv" for run in range(2)]
        threads = [threading.Thread(target=run_at_once, args=(barrier, errors, per_run, path)) for path in paths]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        batches = AccessCodeBatch.objects.order_by("-pk")[:2]
        assert [batch.created_count for batch in batches] == [per_run, per_run]
        values = [batch_values(batch) for batch in batches]
        assert len(set(values[0]) | set(values[1])) == 2 * per_run
        assert set(values[0]) | set(values[1]) <= set(pool)
        assert sorted(csv_values(paths[0].read_text()) + csv_values(paths[1].read_text())) == sorted(
            values[0] + values[1]
        )
        assert AccessCode.objects.count() == 2 * per_run * (round_ + 1)


def test_existing_codes_are_never_touched(tmp_path, monkeypatch):
    pool = codes.access_code_values(20)
    kept = [AccessCodeFactory(value=value, max_usages=4) for value in pool[:10]]
    monkeypatch.setattr(codes, "random_bytes", repeating_source(pool))
    generate("10", "--output", str(tmp_path / "codes.csv"))
    assert AccessCode.objects.filter(pk__in=[code.pk for code in kept], batch=None, max_usages=4).count() == 10


def test_force_never_follows_a_symlink(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    path = tmp_path / "codes.csv"
    path.symlink_to(victim)
    with pytest.raises(CommandError, match=r"codes.csv is a symbolic link; --force never follows one"):
        generate("10", "--output", str(path), "--force")
    assert victim.read_text() == "precious\n"
    assert path.is_symlink()
    assert not AccessCodeBatch.objects.exists()


def test_force_refuses_a_dangling_symlink(tmp_path):
    path = tmp_path / "codes.csv"
    path.symlink_to(tmp_path / "nowhere.csv")
    with pytest.raises(CommandError, match="is a symbolic link"):
        generate("10", "--output", str(path), "--force")
    assert not (tmp_path / "nowhere.csv").exists()
    assert not AccessCodeBatch.objects.exists()


@pytest.mark.timeout(20)
def test_force_refuses_a_fifo_instead_of_waiting_on_it(tmp_path):
    path = tmp_path / "codes.csv"
    os.mkfifo(path)
    with pytest.raises(CommandError, match=r"codes.csv is not a regular file; --force overwrites only files"):
        generate("10", "--output", str(path), "--force")
    assert not AccessCodeBatch.objects.exists()


def test_force_refuses_a_file_with_other_names(tmp_path):
    # A hard link elsewhere would let the run overwrite a file it was never pointed at.
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    path = tmp_path / "codes.csv"
    os.link(victim, path)
    with pytest.raises(CommandError, match=r"codes.csv has other names \(hard links\)"):
        generate("10", "--output", str(path), "--force")
    assert victim.read_text() == "precious\n"
    assert not AccessCodeBatch.objects.exists()


def test_a_file_swapped_for_a_symlink_after_the_checks_is_not_followed(tmp_path, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    path = tmp_path / "codes.csv"
    path.write_text("old\n")
    checked = command._output_path

    def swap_after_checking(option, *, force):
        result = checked(option, force=force)
        path.unlink()
        path.symlink_to(victim)
        return result

    monkeypatch.setattr(command, "_output_path", swap_after_checking)
    with pytest.raises(CommandError, match="is a symbolic link"):
        generate("10", "--output", str(path), "--force")
    assert victim.read_text() == "precious\n"
    assert not AccessCodeBatch.objects.exists()


def test_a_film_without_an_upcoming_screening_gets_a_warning_on_stderr_and_its_codes(tmp_path):
    film = FilmFactory(name="Elf", slug="elf")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "generate_access_codes", "3", "--film", "elf", "--output", str(tmp_path / "c.csv"), stdout=out, stderr=err
    )
    assert err.getvalue() == (
        "Warning: Elf has no upcoming screening taking bookings: codes valid only for it cannot be booked "
        "until one is scheduled.\n"
    )
    assert "Created 3 codes" in out.getvalue()
    assert set(AccessCode.objects.values_list("valid_for", flat=True)) == {film.pk}
    ScreeningFactory(film=film)
    err = io.StringIO()
    call_command("generate_access_codes", "3", "--film", "elf", "--output", str(tmp_path / "d.csv"), stderr=err)
    assert err.getvalue() == ""


def test_film_is_found_by_its_exact_name_too(tmp_path):
    film = FilmFactory(name="Wonka", slug="wonka-2023")
    path = tmp_path / "codes.csv"
    generate("3", "--film", "Wonka", "--output", str(path))
    assert set(AccessCode.objects.values_list("valid_for", flat=True)) == {film.pk}


def test_a_name_several_films_share_asks_for_the_slug(tmp_path):
    FilmFactory(name="Scrooge", slug="scrooge-1951")
    FilmFactory(name="Scrooge", slug="scrooge-1970")
    with pytest.raises(CommandError, match=r"2 films are named 'Scrooge'; give the slug: scrooge-1951, scrooge-1970."):
        generate("3", "--film", "Scrooge", "--output", str(tmp_path / "codes.csv"))
    assert not AccessCodeBatch.objects.exists()


def test_a_short_run_reports_milliseconds(tmp_path):
    out = generate("5", "--output", str(tmp_path / "codes.csv"))
    summary = out.strip().splitlines()[-1]
    assert re.match(r"Created 5 codes in (\d+ ms|\d+\.\d s) \(", summary), summary
    assert " 0.0 s" not in summary


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0.0004, "0 ms"), (0.0123, "12 ms"), (0.9994, "999 ms"), (1.0, "1.0 s"), (75.25, "75.2 s")]
)
def test_durations_below_a_second_are_shown_in_milliseconds(seconds, shown):
    assert command.duration(seconds) == shown
