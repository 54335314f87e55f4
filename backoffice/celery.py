"""The Celery application: ``celery -A backoffice worker`` and ``celery -A backoffice beat``.

Configuration comes from Django settings (the ``CELERY_`` names in backoffice/settings.py);
tasks are found in each app's ``tasks`` module.
"""

import os
import time

from celery import Celery, bootsteps
from celery.beat import PersistentScheduler
from celery.signals import worker_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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


class Heartbeat(bootsteps.StartStopStep):
    """Each worker writes its heartbeat to the cache from its own event loop, for ``/readyz``.

    The worker's timer runs it, so a worker whose loop is stuck stops writing, as a dead one does.
    """

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker) -> None:
        from django.conf import settings

        from backoffice.health import WORKER_KEY, heartbeat_write

        heartbeat_write(WORKER_KEY)
        self.tref = worker.timer.call_repeatedly(settings.WORKER_HEARTBEAT_SECONDS, heartbeat_write, (WORKER_KEY,))

    def stop(self, worker) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(Heartbeat)


class BeatScheduler(PersistentScheduler):
    """Beat's usual scheduler, writing its heartbeat as it ticks (``CELERY_BEAT_SCHEDULER``), for ``/readyz``."""

    heartbeat_due = 0.0

    def tick(self, *args, **kwargs) -> float:
        from django.conf import settings

        from backoffice.health import BEAT_KEY, heartbeat_write

        interval = settings.WORKER_HEARTBEAT_SECONDS
        if time.monotonic() >= self.heartbeat_due:
            heartbeat_write(BEAT_KEY)
            self.heartbeat_due = time.monotonic() + interval
        # Never sleep past the next heartbeat, even when the next task is minutes away.
        return min(super().tick(*args, **kwargs), interval)


@worker_ready.connect
def _serve_metrics(**kwargs) -> None:
    """On a host without gunicorn, the worker serves the host's metrics itself (``METRICS_WORKER_BIND``)."""
    from django.conf import settings

    if settings.METRICS_WORKER_BIND:
        from backoffice.metrics import worker_metrics_serve

        worker_metrics_serve(settings.METRICS_WORKER_BIND)
