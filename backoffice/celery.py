"""The Celery application: ``celery -A backoffice worker`` and ``celery -A backoffice beat``.

Configuration comes from Django settings (the ``CELERY_`` names in backoffice/settings.py);
tasks are found in each app's ``tasks`` module.
"""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _commit_without_waiting_for_the_disk(**kwargs) -> None:
    """Workers' PostgreSQL sessions commit without waiting for the write-ahead log to reach disk.

    Their writes are outbox bookkeeping (a claim, a "sent" mark, a queued reminder with its
    tickets marked issued), two or three a message: waiting for the disk each time would cost
    more than building and sending the message. A database crash can then lose the last
    moment's transactions whole, never half of one: a lost mark means a message is sent again,
    a lost reminder is queued again by the next beat run. At least once still holds.
    """
    from django.db.backends.signals import connection_created

    connection_created.connect(_synchronous_commit_off, weak=False)


@worker_init.connect
def _patient_broker_connection(sender, **kwargs) -> None:
    """Workers give the broker longer than web processes do (settings: a quarter of a second).

    A worker's acknowledgements and its sweeps' publishes go over these connections; a Redis slow
    for a moment must not cost it its connection and the messages in hand.
    """
    from django.conf import settings

    timeout = settings.WORKER_BROKER_SOCKET_TIMEOUT
    conf = sender.app.conf
    conf.broker_transport_options = {
        **conf.broker_transport_options,
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
    }


def _synchronous_commit_off(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
