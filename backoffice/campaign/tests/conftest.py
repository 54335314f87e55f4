"""Fixtures for the outbox: tasks run in-process, or a real broker, SMTP server and Celery worker."""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from backoffice.campaign.tests.servers import Worker, database_url, redis_server, smtp_server
from backoffice.celery import app as celery_app


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Tasks published by this test run in this process (as under ``make run``), whatever the broker."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@contextmanager
def publishing_to(broker_url: str) -> Iterator[None]:
    """Make this process publish tasks to ``broker_url`` for the length of the block."""
    conf = celery_app.conf
    before = conf.broker_url, conf.task_always_eager, os.environ.get("CELERY_BROKER_URL")
    # Celery reads CELERY_BROKER_URL from the environment before its own settings.
    os.environ["CELERY_BROKER_URL"] = broker_url
    conf["broker_url"], conf.task_always_eager = broker_url, False
    _drop_broker_connections()
    try:
        yield
    finally:
        _drop_broker_connections()
        conf["broker_url"], conf.task_always_eager = before[:2]
        if before[2] is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = before[2]


@pytest.fixture
def queued_tasks() -> Iterator[None]:
    """Tasks published by this test wait in an in-process queue that no worker reads, whatever the
    broker: a test with real commits (``transaction=True``) then runs the task itself, when it chooses."""
    with publishing_to("memory://localhost/"):
        yield


def _drop_broker_connections() -> None:
    # Dropped, not closed: objects made earlier (the control mailbox) may still hold the old pool.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    """The test run's Redis (REDIS_URL or CELERY_BROKER_URL), else a throwaway redis-server."""
    url = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    with redis_server() as server:
        yield server.url


@pytest.fixture
def smtp():
    """A real SMTP server in this process; yields its Mailbox and port."""
    with smtp_server() as (mailbox, port):
        yield mailbox, port


@pytest.fixture
def start_worker(transactional_db, smtp):
    """Start real Celery workers (subprocesses) against a broker, this test's database and ``smtp``."""
    _, smtp_port = smtp
    workers: list[Worker] = []

    def start(broker: str, *, running: bool = True) -> Worker:
        worker = Worker(
            broker_url=broker,
            database_url=database_url(connection.settings_dict),
            smtp_port=smtp_port,
            # A send whose worker died may be tried again after 3 s (production: a minute).
            EMAIL_SEND_LEASE_SECONDS="3",
        )
        workers.append(worker)
        return worker.start() if running else worker

    yield start
    for worker in workers:
        worker.close()


@pytest.fixture
def mail_worker(broker_url, start_worker) -> Iterator[Worker]:
    """One worker on the run's broker, with this process publishing to it and the queue emptied first."""
    with publishing_to(broker_url):
        celery_app.control.purge()
        yield start_worker(broker_url, running=False)


def wait_for(run, test, *, timeout: float, progress: str):
    """Read ``run`` again every 0.1 s until ``test(run)`` holds; after ``timeout`` seconds fail,
    saying where the run got to (``progress``, formatted with the run as ``r``)."""
    deadline = time.monotonic() + timeout
    while True:
        run.refresh_from_db()
        if test(run):
            return run
        assert time.monotonic() < deadline, progress.format(r=run)
        time.sleep(0.1)


@contextmanager
def run_worker(broker_url: str, private_files, **settings: str) -> Iterator[Worker]:
    """One started worker for background runs: publishing to it, its queue emptied first, writing
    to this test's private storage, with ``settings`` (e.g. a small batch size) in its environment."""
    with publishing_to(broker_url):
        celery_app.control.purge()
        worker = Worker(
            broker_url=broker_url,
            database_url=database_url(connection.settings_dict),
            smtp_port=1,  # sends nothing here
            PRIVATE_ROOT=str(private_files),
            **settings,
        )
        try:
            yield worker.start()
        finally:
            worker.close()


@pytest.fixture
def private_files(settings, tmp_path):
    """Private storage (generated code CSVs) in this test's own folder."""
    private = {"BACKEND": "backoffice.campaign.private_files.PrivateStorage"}
    private["OPTIONS"] = {"location": str(tmp_path / "private"), "base_url": None}
    settings.STORAGES = {**settings.STORAGES, "private": private}
    return tmp_path / "private"


def download_of_a_lost_file(client, run) -> str:
    """Delete a finished run's file, then ask for it. The answer must be the run's page, with no
    link to the file and nothing logged as handed out; returns the page's text."""
    from django.urls import reverse

    from backoffice.campaign.models import DataExchangeLog, private_storage

    private_storage().delete(run.result_file.name)
    name = run._meta.model_name
    url = reverse(f"admin:campaign_{name}_result", args=[run.pk])
    response = client.get(url, follow=True)
    assert response.redirect_chain == [(reverse(f"admin:campaign_{name}_change", args=[run.pk]), 302)]
    page = response.content.decode()
    assert url not in page
    assert not DataExchangeLog.objects.exists()
    return page
