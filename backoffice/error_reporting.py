"""Error reports to Sentry, with no customer's personal data in them (docs/operations.md).

Started by the settings when ``SENTRY_DSN`` is set, so gunicorn and the Celery workers both report.
What would identify a customer never leaves: the SDK is told not to send personal data or local
variables, and ``event_scrub`` then removes the request's body, query string, cookies and most
headers, drops the user, and replaces whatever still looks like an email address or an access
code, wherever it is in the event (messages, breadcrumbs, exception values), with ``[Filtered]``.
"""

import re
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.transport import Transport

from backoffice.campaign.codes import ALPHABET, GROUP_LENGTH, GROUPS

FILTERED = "[Filtered]"
# Headers that say nothing about who sent the request.
KEPT_HEADERS = frozenset({"accept", "content-length", "content-type", "host", "x-forwarded-proto"})
# Anything with an @ between two words, and a code's four groups, in any case (customers type them).
EMAIL_LIKE = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+")
_SYMBOL = f"[{ALPHABET}]"
ACCESS_CODE_LIKE = re.compile(rf"{_SYMBOL}{{{GROUP_LENGTH}}}(?:-{_SYMBOL}{{{GROUP_LENGTH}}}){{{GROUPS - 1}}}", re.I)


def error_reporting_start(*, dsn: str, environment: str, transport: Transport | None = None) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # The SDK's own collection, off for everything that may name a person (the successor of
        # send_default_pii=False, which it supersedes); event_scrub then checks what is left.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": sorted(KEPT_HEADERS)}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "graphql": {"document": False, "variables": False},
            "gen_ai": {"inputs": False, "outputs": False},
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        before_send=event_scrub,
        transport=transport,
    )


def event_scrub(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """The event as it may leave: no request body, query string, cookies or user; no email or code left in any text."""
    request = event.get("request")
    if isinstance(request, dict):
        for part in ("data", "query_string", "cookies", "env"):
            request.pop(part, None)
        headers = request.get("headers") or {}
        request["headers"] = {name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS}
    event.pop("user", None)
    return _scrubbed(event)


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return ACCESS_CODE_LIKE.sub(FILTERED, EMAIL_LIKE.sub(FILTERED, value))
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(item) for item in value]
    return value
