"""Project-wide test set-up: say which database the run is on."""

from django.db import connection


def pytest_report_header(config) -> str:
    settings = connection.settings_dict
    where = settings["NAME"] if connection.vendor == "sqlite" else f"{settings['HOST'] or 'localhost'}"
    return f"database: {connection.vendor} ({where})"
