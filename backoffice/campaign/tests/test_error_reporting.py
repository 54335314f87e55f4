"""Error reports leave with no customer's personal data: the event Sentry would send, read back.

The SDK is given a transport that keeps the events instead of sending them, and a view that
fails while its request carries a customer's name, email and access code in the query string,
the body and a cookie.
"""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sentry_sdk
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from sentry_sdk.transport import Transport

from backoffice.error_reporting import error_reporting_start

ROOT = Path(__file__).resolve().parents[3]


@csrf_exempt
def broken(request: HttpRequest):
    raise RuntimeError(f"Could not book for {request.POST['email']} with code {request.POST['code'].lower()}")


urlpatterns = [path("broken/", broken)]


class KeptEvents(Transport):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict] = []

    def capture_envelope(self, envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            self.events.append(event)


# Far from the failing view: the lines around it are sent as its source context.
NAME, EMAIL, CODE = "Holly Berry", "holly.berry@example.com", "7KPB-3XQ9-M2DT-8ZVR"


@pytest.fixture
def reported() -> list[dict]:
    transport = KeptEvents()
    error_reporting_start(dsn="https://public@errors.example/1", environment="test", transport=transport)
    yield transport.events
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_an_error_is_reported_without_the_customers_data(reported):
    # Through the WSGI handler, as gunicorn calls it: the SDK reads the URL, headers and query
    # string from the WSGI environment there, which the test client does not go through.
    request = RequestFactory().post(
        f"/broken/?name={NAME.replace(' ', '+')}&email={EMAIL}",
        {"name": NAME, "email": EMAIL, "code": CODE},
        HTTP_USER_AGENT="Holly's phone",
        HTTP_COOKIE="sessionid=a-staff-session-key",
    )
    statuses = []
    WSGIHandler()(request.environ, lambda status, headers: statuses.append(status))
    assert statuses == ["500 Internal Server Error"]

    [event] = reported
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "Could not book for [Filtered] with code [Filtered]"
    assert event["request"]["url"].endswith("/broken/")
    assert set(event["request"]) <= {"url", "method", "headers"}
    assert "user" not in event
    sent = json.dumps(event)
    for personal in ("Holly", "Berry", "holly", EMAIL, CODE, CODE.lower(), "a-staff-session-key", "phone"):
        assert personal not in sent, f"{personal!r} would be sent"


def test_an_email_or_code_in_a_log_line_is_filtered(reported):
    logging.getLogger("backoffice.campaign.services.emails").error("Giving up on email to %s", EMAIL)
    [event] = reported
    assert EMAIL not in json.dumps(event)
    assert "Giving up on email to [Filtered]" in json.dumps(event)


def sentry_active(**env: str) -> str:
    code = "import django; django.setup(); import sentry_sdk; print(sentry_sdk.get_client().is_active())"
    environ = {name: value for name, value in os.environ.items() if name != "SENTRY_DSN"}
    environ.update(DJANGO_SETTINGS_MODULE="backoffice.settings", **env)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True)
    return done.stdout.strip()


def test_reporting_starts_only_with_a_dsn():
    assert sentry_active() == "False"
    assert sentry_active(SENTRY_DSN="https://public@errors.example/1") == "True"
