"""The deploy tests' shared pieces: a database URL other processes can use, and collected static files."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from backoffice.campaign.tests.servers import ROOT, database_url
from tests.deploy.servers import production_env


@pytest.fixture(scope="session")
def test_database_url(django_db_setup, django_db_blocker) -> str:
    """The test database (created and migrated by pytest-django), as a URL for the servers' processes."""
    with django_db_blocker.unblock():
        return database_url(connection.settings_dict)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """collectstatic's output with production settings (hashed and compressed names), as a host has it."""
    folder = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity=0"],
        cwd=ROOT,
        env=production_env(STATIC_ROOT=str(folder), ALLOWED_HOSTS="localhost"),
        check=True,
    )
    return folder
