"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from backoffice.db import limit_web_statements

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")

application = get_asgi_application()
limit_web_statements()
