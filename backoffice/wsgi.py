"""WSGI entry point, e.g. ``gunicorn backoffice.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

from backoffice.db import limit_web_statements

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

application = get_wsgi_application()
limit_web_statements()
