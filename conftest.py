"""Project-wide test set-up: say which database the run is on."""

import pytest
from django.db import connection


def pytest_report_header(config) -> str:
    settings = connection.settings_dict
    where = settings["NAME"] if connection.vendor == "sqlite" else f"{settings['HOST'] or 'localhost'}"
    return f"database: {connection.vendor} ({where})"


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, verified with a TOTP device as every superuser must be."""
    from backoffice.campaign.tests.otp_support import verified_login

    verified_login(client, admin_user)
    return client
