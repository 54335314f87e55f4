"""Celery tasks of the campaign: thin wrappers; the work is in services (docs/emails.md)."""

from celery import shared_task
from django.conf import settings

from backoffice.campaign.models import AccessCodeBatch, DataRun
from backoffice.campaign.services import code_runs, data_runs, emails, personal_data, runs


@shared_task
def email_send(pk: int) -> None:
    emails.email_deliver(pk)


@shared_task
def emails_sweep() -> int:
    return emails.emails_sweep()


@shared_task
def reminders_queue() -> int:
    return emails.reminders_queue()


@shared_task
def door_lists_queue() -> int:
    return emails.door_lists_queue()


@shared_task
def code_run(pk: int) -> bool:
    return code_runs.code_run_execute(pk)


@shared_task
def runs_sweep() -> int:
    return runs.runs_sweep(
        [
            (AccessCodeBatch, code_run, code_runs.code_run_gave_up),
            (DataRun, data_run, data_runs.data_run_gave_up),
        ]
    )


@shared_task
def reservations_anonymise() -> int:
    days = settings.PERSONAL_DATA_RETENTION_DAYS
    return personal_data.reservations_anonymise_ended(days=days).reservations


@shared_task
def data_run(pk: int) -> bool:
    return data_runs.data_run_execute(pk)


@shared_task
def data_run_files_expire() -> int:
    return data_runs.data_run_files_expire(days=settings.DATA_RUN_FILE_RETENTION_DAYS)
