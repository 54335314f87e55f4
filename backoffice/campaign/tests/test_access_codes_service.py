"""access_codes_generate: exactly N new codes, a CSV that matches the database, failures that say so."""

import io

import pytest
from django.utils import timezone

from backoffice.campaign import codes
from backoffice.campaign.factories import AccessCodeFactory, FilmFactory
from backoffice.campaign.models import AccessCode, AccessCodeBatch
from backoffice.campaign.resources.access_codes import AccessCodeCsv, AccessCodeResource
from backoffice.campaign.services import access_codes as service
from backoffice.campaign.services.access_codes import (
    AccessCodeGenerationError,
    CsvFile,
    access_code_batch_csv,
    access_codes_generate,
)
from backoffice.campaign.tests.codes_support import (
    SmallDisk,
    batch_values,
    code_batches_fail_after,
    csv_records,
    csv_values,
    repeating_source,
    whole_line_values,
)

pytestmark = pytest.mark.django_db

COMMAND = AccessCodeBatch.Source.COMMAND


def test_generates_exactly_the_count_across_batches():
    output = io.StringIO()
    progress = []
    batch = access_codes_generate(
        count=25, batch_size=10, source=COMMAND, output=output, progress=lambda done, total: progress.append(done)
    )
    batch.refresh_from_db()
    assert (batch.requested_count, batch.created_count, batch.status) == (25, 25, AccessCodeBatch.Status.COMPLETED)
    assert batch.finished_at is not None
    assert batch.error == ""
    assert progress == [10, 20, 25]
    assert len(batch_values(batch)) == 25
    assert csv_values(output.getvalue()) == batch_values(batch)


def test_csv_columns_are_the_resource_columns_and_rows_match_the_database():
    film = FilmFactory(slug="the-snowman")
    output = io.StringIO()
    batch = access_codes_generate(count=5, film=film, max_usages=3, source=COMMAND, output=output)
    text = output.getvalue()
    assert text.splitlines()[0].split(",") == AccessCodeResource().get_export_headers()
    for record in csv_records(text):
        code = AccessCode.objects.get(value=record["code"])
        assert (code.batch_id, code.valid_for_id, code.max_usages) == (batch.pk, film.pk, 3)
        assert record == {
            "code": code.value,
            "max_usages": "3",
            "film": "the-snowman",
            "batch": str(batch.pk),
            "created_at": code.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        }


def test_batch_records_film_max_usages_source_and_creator(django_user_model):
    film = FilmFactory()
    user = django_user_model.objects.create_user("staff")
    batch = access_codes_generate(
        count=3, film=film, max_usages=2, source=AccessCodeBatch.Source.ADMIN, created_by=user
    )
    batch.refresh_from_db()
    assert (batch.film, batch.max_usages, batch.source, batch.created_by) == (film, 2, "admin", user)
    assert set(AccessCode.objects.filter(batch=batch).values_list("valid_for", "max_usages")) == {(film.pk, 2)}


def test_collisions_inside_a_batch_are_replaced(monkeypatch):
    # 40 possible codes, 30 wanted in batches of 10: most draws repeat an earlier one.
    pool = codes.access_code_values(40)
    monkeypatch.setattr(codes, "random_bytes", repeating_source(pool))
    output = io.StringIO()
    batch = access_codes_generate(count=30, batch_size=10, source=COMMAND, output=output)
    values = batch_values(batch)
    assert len(values) == 30
    assert set(values) <= set(pool)
    assert csv_values(output.getvalue()) == values
    assert AccessCodeBatch.objects.get().created_count == 30


def test_collisions_with_existing_codes_are_replaced_and_existing_rows_kept(monkeypatch):
    # Half the possible codes are taken; the run must find 10 of the other 20.
    pool = codes.access_code_values(40)
    existing = [AccessCodeFactory(value=value) for value in pool[:20]]
    monkeypatch.setattr(codes, "random_bytes", repeating_source(pool))
    output = io.StringIO()
    batch = access_codes_generate(count=10, batch_size=4, source=COMMAND, output=output)
    values = batch_values(batch)
    assert len(values) == 10
    assert set(values) <= set(pool[20:])
    assert csv_values(output.getvalue()) == values
    assert AccessCode.objects.filter(pk__in=[code.pk for code in existing], batch=None).count() == 20


def test_a_broken_random_source_stops_the_run_instead_of_looping(monkeypatch):
    pool = codes.access_code_values(3)
    for value in pool:
        AccessCodeFactory(value=value)
    monkeypatch.setattr(codes, "random_bytes", repeating_source(pool))
    with pytest.raises(AccessCodeGenerationError, match="random source looks broken") as raised:
        access_codes_generate(count=1, source=COMMAND, output=io.StringIO())
    batch = raised.value.batch
    batch.refresh_from_db()
    assert batch.status == AccessCodeBatch.Status.FAILED
    assert AccessCode.objects.filter(batch=batch).count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_database_error_mid_run_leaves_csv_and_database_agreeing():
    output = io.StringIO()
    output.name = "/srv/codes.csv"
    with code_batches_fail_after(2), pytest.raises(AccessCodeGenerationError) as raised:
        access_codes_generate(count=50, batch_size=10, source=COMMAND, output=output)
    message = str(raised.value)
    assert "Stopped after 20 of 50 codes: injected failure: no space left on device." in message
    assert "all written to /srv/codes.csv" in message
    batch = AccessCodeBatch.objects.get()
    assert (batch.status, batch.created_count, batch.error) == (AccessCodeBatch.Status.FAILED, 20, message)
    assert batch.finished_at is not None
    assert (raised.value.created, raised.value.written) == (20, 20)
    assert len(batch_values(batch)) == 20
    assert csv_values(output.getvalue()) == batch_values(batch)


class FailingStream(io.StringIO):
    """A file that takes the header and one chunk of rows, then reports a full disk."""

    name = "/srv/codes.csv"

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        if self.writes > 2:
            raise OSError(28, "No space left on device")
        return super().write(text)


def test_a_csv_write_failure_says_how_many_codes_reached_the_file():
    output = FailingStream()
    with pytest.raises(AccessCodeGenerationError) as raised:
        access_codes_generate(count=50, batch_size=10, source=COMMAND, output=output)
    message = str(raised.value)
    assert "Stopped after 20 of 50 codes" in message
    assert "but /srv/codes.csv holds only 10 of them" in message
    batch = raised.value.batch
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == (AccessCodeBatch.Status.FAILED, 20)
    # The database is the record: the batch's CSV from the database has all 20.
    assert csv_values("".join(access_code_batch_csv(batch=batch))) == batch_values(batch)
    assert set(csv_values(output.getvalue())) < set(batch_values(batch))


def test_a_batch_exports_again_exactly_as_its_run_wrote_it():
    film = FilmFactory()
    output = io.StringIO()
    batch = access_codes_generate(count=23, batch_size=5, film=film, max_usages=2, source=COMMAND, output=output)
    again = "".join(access_code_batch_csv(batch=batch, chunk_size=7))
    assert again.splitlines()[0] == output.getvalue().splitlines()[0]
    assert sorted(again.splitlines()[1:]) == sorted(output.getvalue().splitlines()[1:])


def test_exported_cells_have_spreadsheet_formulas_escaped():
    batch = access_codes_generate(count=2, source=COMMAND)
    AccessCodeFactory(value='=HYPERLINK("x.co")', batch=batch)
    records = csv_records("".join(access_code_batch_csv(batch=batch)))
    assert len(records) == 3
    assert not any(value.startswith("=") for record in records for value in record.values())
    assert '\'=HYPERLINK("x.co")' in {record["code"] for record in records}


def test_hand_typed_codes_render_like_the_resource_renders_them():
    text = AccessCodeCsv().rows([("A,B", 1, None, None, None)])
    assert text == '"A,B",1,,,\r\n'


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"count": 0}, "count must be a whole number from 1"),
        ({"count": 20_000_001}, "count must be a whole number from 1"),
        ({"count": 1, "batch_size": 0}, "batch_size"),
        ({"count": 1, "max_usages": 0}, "max_usages"),
    ],
)
def test_out_of_range_arguments_change_nothing(arguments, message):
    with pytest.raises(ValueError, match=message):
        access_codes_generate(source=COMMAND, **arguments)
    assert not AccessCodeBatch.objects.exists()


@pytest.mark.postgresql
def test_postgresql_insert_returns_exactly_the_new_values():
    # Taken values make the fast COPY fail; the fallback must still insert the others.
    batch = AccessCodeBatch.objects.create(requested_count=4)
    taken = AccessCodeFactory().value
    fresh = codes.access_code_values(3)
    inserted = service._insert_postgresql(
        sorted([taken, *fresh]), max_usages=1, film_id=None, batch_id=batch.pk, created_at=timezone.now()
    )
    assert sorted(inserted) == sorted(fresh)
    assert batch_values(batch) == sorted(fresh)
    # Nothing taken: the fast path inserts them all.
    more = codes.access_code_values(3)
    inserted = service._insert_postgresql(
        sorted(more), max_usages=1, film_id=None, batch_id=batch.pk, created_at=timezone.now()
    )
    assert sorted(inserted) == sorted(more)
    assert len(batch_values(batch)) == 6


def interrupt_after_first_batch(done: int, total: int) -> None:
    if done <= 10:
        raise KeyboardInterrupt


def assert_interrupted_run_agrees(batch: AccessCodeBatch, error: AccessCodeGenerationError, output) -> None:
    batch.refresh_from_db()
    made = len(batch_values(batch))
    assert 10 <= made < 100
    assert (batch.status, batch.created_count) == (AccessCodeBatch.Status.FAILED, made)
    assert (error.created, error.written) == (made, made)
    assert f"Stopped after {made} of 100 codes: interrupted." in str(error)
    assert csv_values(output.getvalue()) == batch_values(batch)


def test_an_interrupted_run_stops_with_file_and_database_agreeing():
    output = io.StringIO()
    with pytest.raises(AccessCodeGenerationError) as raised:
        access_codes_generate(
            count=100, batch_size=10, source=COMMAND, output=output, progress=interrupt_after_first_batch
        )
    assert_interrupted_run_agrees(raised.value.batch, raised.value, output)
    assert raised.value.created == 10


def test_a_full_disk_leaves_whole_lines_and_a_message_that_counts_them_exactly(tmp_path):
    path = tmp_path / "codes.csv"
    with pytest.raises(AccessCodeGenerationError) as raised:
        # Room for the header (38 bytes) and three batches of ten rows (470 bytes each), and part of a fourth.
        access_codes_generate(count=50, batch_size=10, source=COMMAND, output=CsvFile(SmallDisk(path, size=1500)))
    batch = AccessCodeBatch.objects.get()
    written = whole_line_values(path.read_bytes())
    assert (len(written), batch.created_count) == (30, 40)
    assert set(written) < set(batch_values(batch))
    assert str(raised.value) == (
        f"Stopped after 40 of 50 codes: No space left on device. Batch {batch.pk} holds the 40 codes made, "
        f"but {path} holds only 30 of them, each on a whole line; download the batch from the admin for the "
        "complete list."
    )
