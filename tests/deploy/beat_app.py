"""backoffice's Celery app with beat's sweep and reminders every few seconds instead of minutes.

``celery -A tests.deploy.beat_app beat`` is the production beat with a test's patience: the
schedule's tasks and what they do are the same, only their intervals are short.
"""

from backoffice.celery import app

SHORT = {"emails-sweep": 2.0, "reminders-queue": 1.0}

app.conf.beat_schedule = {
    name: {**entry, "schedule": SHORT.get(name, entry["schedule"])} for name, entry in app.conf.beat_schedule.items()
}
