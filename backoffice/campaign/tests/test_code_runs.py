"""Code generation as a background run: the request, the claim, Cancel, the sweeper, the run's page."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.models import AccessCode, AccessCodeBatch, DataExchangeLog, private_storage
from backoffice.campaign.services import code_runs
from backoffice.campaign.services.access_codes import access_code_batch_csv, access_codes_generate
from backoffice.campaign.services.code_runs import code_run_cancel, code_run_execute, code_run_request
from backoffice.campaign.tasks import runs_sweep
from backoffice.campaign.tests.codes_support import batch_values, csv_values, file_size_limit, whole_line_values
from backoffice.campaign.tests.conftest import download_of_a_lost_file
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_files")]

GENERATE = reverse("admin:campaign_accesscode_generate")


@pytest.fixture
def admin_client(client, django_user_model):
    verified_login(client, django_user_model.objects.create_superuser("admin", email=None, password=None))
    return client


def queued(count: int) -> AccessCodeBatch:
    with TestCase.captureOnCommitCallbacks(execute=False):
        return code_run_request(count=count, film=None, max_usages=1, created_by=None)


def stored_csv(batch: AccessCodeBatch) -> str:
    batch.refresh_from_db()
    with private_storage().open(batch.result_file.name, "rb") as file:
        return file.read().decode()


def database_csv(batch: AccessCodeBatch) -> str:
    return "".join(access_code_batch_csv(batch=batch))


def test_the_request_only_queues_the_run_and_publishes_it_on_commit(admin_client):
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        response = admin_client.post(GENERATE, {"count": 1_000_000, "max_usages": 1})
    batch = AccessCodeBatch.objects.get()
    assert response["Location"] == reverse("admin:campaign_accesscodebatch_change", args=[batch.pk])
    assert (batch.status, batch.requested_count, batch.source) == ("queued", 1_000_000, "admin")
    assert len(callbacks) == 1  # the publication, after the commit
    assert not AccessCode.objects.exists()


def test_a_run_writes_its_csv_to_private_storage_equal_to_the_database(private_files):
    batch = queued(25)
    assert code_run_execute(batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("completed", 25)
    assert (private_files / batch.result_file.name).is_file()
    assert stored_csv(batch) == database_csv(batch)
    assert csv_values(stored_csv(batch)) == batch_values(batch)


def test_a_run_delivered_twice_runs_once():
    batch = queued(7)
    assert code_run_execute(batch.pk)
    assert not code_run_execute(batch.pk)
    assert AccessCode.objects.count() == 7


def test_cancel_stops_a_running_run_at_the_next_batch_boundary(settings, monkeypatch):
    settings.CODE_RUN_BATCH_SIZE = 10
    batch = queued(50)
    generate = code_runs.access_codes_generate

    def cancel_after_the_second_batch(**kwargs):
        check = kwargs["progress"]

        def progress(created, count):
            if created == 20:
                assert code_run_cancel(batch)
            check(created, count)

        return generate(**{**kwargs, "progress": progress})

    monkeypatch.setattr(code_runs, "access_codes_generate", cancel_after_the_second_batch)
    code_run_execute(batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("cancelled", 20)
    assert batch.error.startswith("Stopped after 20 of 50 codes: cancelled by staff.")
    assert AccessCode.objects.count() == 20
    assert stored_csv(batch) == database_csv(batch)


def test_a_queued_run_cancelled_never_starts():
    batch = queued(5)
    assert code_run_cancel(batch)
    assert not code_run_execute(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "cancelled"
    assert not AccessCode.objects.exists()


def test_cancelling_a_finished_run_changes_nothing():
    batch = access_codes_generate(count=3, source=AccessCodeBatch.Source.COMMAND)
    assert not code_run_cancel(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.cancel_requested) == ("completed", False)


def killed_after_one_batch(batch: AccessCodeBatch, *, attempts: int = 1) -> None:
    """Leave ``batch`` as a worker SIGKILLed between a batch's commit and its write leaves it:
    running, a stale heartbeat, codes in the database that its file lacks."""
    AccessCodeBatch.objects.filter(pk=batch.pk).update(cancel_requested=True)
    code_run_execute(batch.pk)  # stops after its first batch
    batch.refresh_from_db()
    AccessCodeBatch.objects.filter(pk=batch.pk).update(
        status="running",
        cancel_requested=False,
        finished_at=None,
        error="",
        attempts=attempts,
        updated_at=timezone.now() - timedelta(minutes=2),
    )
    with private_storage().open(batch.result_file.name, "wb") as file:
        file.write(database_csv(batch).encode()[:100])


def test_the_sweeper_resumes_a_run_whose_worker_died_to_its_target_with_its_csv_equal_the_database(
    settings, eager_tasks
):
    settings.CODE_RUN_BATCH_SIZE = 10
    batch = queued(35)
    killed_after_one_batch(batch)
    assert AccessCode.objects.filter(batch=batch).count() == 10
    fresh = queued(5)
    AccessCodeBatch.objects.filter(pk=fresh.pk).update(status="running")

    assert runs_sweep() == 1
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.attempts, batch.error) == ("completed", 35, 2, "")
    assert AccessCode.objects.filter(batch=batch).count() == 35
    assert stored_csv(batch) == database_csv(batch)
    assert len(csv_values(stored_csv(batch))) == 35
    assert AccessCodeBatch.objects.get(pk=fresh.pk).status == "running"  # its heartbeat is recent
    assert runs_sweep() == 0


def test_the_sweeper_gives_up_after_the_set_number_of_tries(settings):
    settings.CODE_RUN_BATCH_SIZE = 10
    settings.RUN_MAX_ATTEMPTS = 3
    batch = queued(30)
    killed_after_one_batch(batch, attempts=3)

    assert runs_sweep() == 1
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert batch.error.startswith("The worker running it stopped 3 times, the last time at ")
    assert batch.error.endswith(
        f"stopped after 10 of 30 codes. Batch {batch.pk} holds the 10 codes made; its CSV holds exactly those."
    )
    assert stored_csv(batch) == database_csv(batch)
    assert runs_sweep() == 0


def test_the_sweeper_fails_a_stale_batch_of_the_command_which_no_worker_can_take_over():
    batch = access_codes_generate(count=3, source=AccessCodeBatch.Source.COMMAND)
    AccessCodeBatch.objects.filter(pk=batch.pk).update(
        status="running", finished_at=None, updated_at=timezone.now() - timedelta(minutes=2)
    )
    assert runs_sweep() == 1
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert batch.error.startswith("The process running it sent no progress since ")
    made = f"stopped after 3 of 3 codes. Batch {batch.pk} holds the 3 codes made"
    assert batch.error.endswith(f"{made}; download them from the batch in the admin.")


def test_cancelling_a_run_queued_again_after_its_worker_died_keeps_its_csv_equal_to_the_database(settings):
    settings.CODE_RUN_BATCH_SIZE = 10
    batch = queued(30)
    killed_after_one_batch(batch)
    assert runs_sweep() == 1
    assert code_run_cancel(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("cancelled", 10)
    assert stored_csv(batch) == database_csv(batch)


def test_two_sweepers_resume_a_run_once(settings):
    batch = queued(30)
    killed_after_one_batch(batch)
    assert runs_sweep() == 1
    assert runs_sweep() == 0  # queued again, not yet stale: left to the worker
    batch.refresh_from_db()
    assert (batch.status, batch.attempts) == ("queued", 1)


def test_the_sweeper_publishes_again_a_run_no_worker_took(settings, eager_tasks):
    settings.RUN_REPUBLISH_SECONDS = 0
    batch = queued(4)
    runs_sweep()
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("completed", 4)


def test_the_status_endpoint_reports_progress(admin_client):
    batch = queued(40)
    AccessCodeBatch.objects.filter(pk=batch.pk).update(status="running", created_count=10)
    response = admin_client.get(reverse("admin:campaign_accesscodebatch_status", args=[batch.pk]))
    assert "no-store" in response["Cache-Control"]
    assert json.loads(response.content) == {
        "status": "running",
        "status_display": "Running",
        "done": 10,
        "total": 40,
        "finished": False,
        "cancel_requested": False,
    }


def test_the_run_page_shows_progress_and_cancel(admin_client):
    batch = queued(40)
    page = admin_client.get(reverse("admin:campaign_accesscodebatch_change", args=[batch.pk])).content.decode()
    assert 'id="run-progress" max="40" value="0"' in page
    assert reverse("admin:campaign_accesscodebatch_cancel", args=[batch.pk]) in page
    assert "campaign/admin/run.js" in page
    response = admin_client.post(reverse("admin:campaign_accesscodebatch_cancel", args=[batch.pk]), follow=True)
    assert "stops at its next batch" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "cancelled"


def test_cancel_needs_a_post_and_permission_to_generate(client, django_user_model):
    batch = queued(5)
    user = django_user_model.objects.create_user("viewer", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_accesscodebatch", "view_accesscode"]))
    verified_login(client, user)
    url = reverse("admin:campaign_accesscodebatch_cancel", args=[batch.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    batch.refresh_from_db()
    assert (batch.status, batch.cancel_requested) == ("queued", False)


def test_the_result_download_is_checked_and_logged(admin_client, client, django_user_model):
    batch = queued(12)
    url = reverse("admin:campaign_accesscodebatch_result", args=[batch.pk])
    assert admin_client.get(url).status_code == 404  # not run yet
    code_run_execute(batch.pk)
    page = admin_client.get(reverse("admin:campaign_accesscodebatch_change", args=[batch.pk])).content.decode()
    assert url in page
    response = admin_client.get(url)
    assert b"".join(response.streaming_content).decode() == database_csv(batch)
    log = DataExchangeLog.objects.get()
    assert (log.action, log.file_format, log.rows, log.content_type.model) == ("export", "csv", 12, "accesscode")

    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_accesscodebatch"))
    verified_login(client, viewer)
    assert client.get(url).status_code == 403
    assert DataExchangeLog.objects.count() == 1


def test_a_result_file_gone_from_the_server_gets_a_message_not_an_error(admin_client):
    batch = queued(5)
    code_run_execute(batch.pk)
    batch.refresh_from_db()
    page = download_of_a_lost_file(admin_client, batch)
    assert f"The file of batch {batch.pk} is no longer on the server" in page
    assert "Download CSV" in page


def test_a_full_disk_stops_a_run_with_whole_lines_in_its_file_and_their_exact_count(settings):
    settings.CODE_RUN_BATCH_SIZE = 500  # about 23 kB of rows a batch: two fit in 64 kB, the third does not
    batch = queued(3000)
    with file_size_limit(64 * 1024):
        code_run_execute(batch.pk)
    batch.refresh_from_db()
    with private_storage().open(batch.result_file.name, "rb") as file:
        written = whole_line_values(file.read())
    assert (batch.status, len(written), batch.created_count) == ("failed", 1000, 1500)
    assert set(written) < set(batch_values(batch))
    assert f"holds the 1,500 codes made, but {batch.result_file.name} holds only 1,000 of them" in batch.error
