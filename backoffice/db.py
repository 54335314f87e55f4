"""The statement timeout of the web processes.

A web request must give up on a database that does not answer in time (a table locked by a
migration, an overloaded server) rather than hold its worker until gunicorn kills it: PostgreSQL
cancels the statement after ``WEB_STATEMENT_TIMEOUT`` seconds, and ``DatabaseUnavailableMiddleware``
turns the error into a 503. ``wsgi.py`` and ``asgi.py``, the web processes' entry points, call
``limit_web_statements()``. Management commands and background jobs never import them: they may
need longer, and set their own limits.
"""

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

_DISPATCH_UID = "web-statement-timeout"


def _set_statement_timeout(sender: type, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = %s", [f"{settings.WEB_STATEMENT_TIMEOUT}s"])


def limit_web_statements() -> None:
    """Give every database connection this process opens from now on the web statement timeout."""
    connection_created.connect(_set_statement_timeout, dispatch_uid=_DISPATCH_UID)


def unlimit_web_statements() -> None:
    connection_created.disconnect(dispatch_uid=_DISPATCH_UID)
