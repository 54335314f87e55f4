"""The Celery application: ``celery -A backoffice worker`` and ``celery -A backoffice beat``.

Configuration comes from Django settings (the ``CELERY_`` names in backoffice/settings.py);
tasks are found in each app's ``tasks`` module.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

app = Celery("backoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
