"""A database that does not answer in time costs a web request a few seconds and a clear 503, never a worker."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import override_settings
from django.urls import reverse

from backoffice.campaign.factories import FilmFactory
from backoffice.campaign.tests.locking import table_frozen
from backoffice.campaign.tests.servers import database_url
from backoffice.db import limit_web_statements, unlimit_web_statements
from backoffice.middleware import DatabaseSlotsMiddleware

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def web_statement_limit():
    """Connections opened from here on carry the web processes' statement timeout, as wsgi.py sets up."""
    with override_settings(WEB_STATEMENT_TIMEOUT=1):
        limit_web_statements()
        connection.close()
        yield
        unlimit_web_statements()
        connection.close()


@pytest.fixture
def frozen_table():
    """Another connection holds an exclusive lock on the film table."""
    with table_frozen("campaign_film"):
        yield


@pytest.mark.timing
def test_the_api_answers_503_within_the_timeout(client, web_statement_limit, frozen_table):
    started = time.monotonic()
    response = client.get("/api/films/", HTTP_ACCEPT="application/json")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "try again" in response.json()["detail"]
    assert elapsed < 3, f"answered after {elapsed:.1f} s"


def test_the_admin_answers_503_within_the_timeout(admin_client, web_statement_limit, frozen_table):
    started = time.monotonic()
    response = admin_client.get(reverse("admin:campaign_film_changelist"))
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert time.monotonic() - started < 3


def test_requests_work_again_once_the_database_answers(client, web_statement_limit):
    FilmFactory(name="Elf")
    response = client.get("/api/films/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert [f["name"] for f in response.json()["results"]] == ["Elf"]


def statement_timeout_in(code: str) -> str:
    url = database_url(connection.settings_dict)  # the test database, TCP or socket folder
    script = (
        "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'backoffice.settings')\n"
        f"{code}\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SHOW statement_timeout'); print(cursor.fetchone()[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1", "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_web_processes_get_the_statement_timeout_and_commands_do_not():
    assert statement_timeout_in("from backoffice.wsgi import application") == "5s"
    assert statement_timeout_in("from backoffice.asgi import application") == "5s"
    assert statement_timeout_in("import django; django.setup()") == "0"


@pytest.mark.timing
def test_a_request_beyond_the_database_slots_is_answered_503_at_once(settings, rf):
    """While every slot waits on the database, one more request does not wait for a thread."""
    settings.WEB_DATABASE_REQUESTS = 1
    entered, release = threading.Event(), threading.Event()

    def view(request):
        entered.set()
        release.wait(timeout=10)
        return HttpResponse("ok")

    middleware = DatabaseSlotsMiddleware(view)
    holder = threading.Thread(target=middleware, args=(rf.get("/api/films/"),))
    holder.start()
    assert entered.wait(timeout=10)
    started = time.monotonic()
    busy = middleware(rf.get("/api/screenings/"))
    assert time.monotonic() - started < 0.5
    assert busy.status_code == 503
    assert int(busy["Retry-After"]) > 0
    assert "try again" in json.loads(busy.content)["detail"]
    release.set()
    holder.join(timeout=10)
    assert middleware(rf.get("/admin/")).status_code == 200  # the slot is free again
