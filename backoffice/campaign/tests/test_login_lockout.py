"""Staff login is throttled: ten failures lock that username from that address for a while."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("holly", password=PASSWORD, is_staff=True)


def log_in(client, password: str, *, address: str = "203.0.113.7", forwarded: str | None = None, username="holly"):
    headers = {"REMOTE_ADDR": address}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **headers)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, times: int, **kwargs) -> list[int]:
    return [log_in(client, "wrong", **kwargs).status_code for _ in range(times)]


def test_nine_failures_do_not_lock(client, user):
    assert fail(client, 9) == [200] * 9
    assert log_in(client, PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_tenth_failure_locks_and_the_right_password_is_refused_with_a_clear_message(client, user):
    assert fail(client, 10)[-1] == 429
    response = log_in(client, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins for holly from your address." in page
    assert "Try again in 15 minutes, or ask an administrator to unlock the account." in page
    assert not logged_in(client)


def test_a_lock_holds_for_one_address_only(client, user):
    fail(client, 10)
    assert log_in(client, PASSWORD, address="198.51.100.20").status_code == 302  # a colleague elsewhere
    assert logged_in(client)


def test_a_lock_holds_for_one_username_only(client, user, django_user_model):
    django_user_model.objects.create_user("ivy", password=PASSWORD, is_staff=True)
    fail(client, 10)
    assert log_in(client, PASSWORD, username="ivy").status_code == 302


def test_a_forged_forwarded_header_is_ignored_without_a_trusted_proxy(client, user):
    for n in range(10):
        log_in(client, "wrong", forwarded=f"192.0.2.{n}")
    assert log_in(client, PASSWORD, forwarded="192.0.2.99").status_code == 429


def test_behind_a_trusted_proxy_the_client_address_is_the_one_the_proxy_saw(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client may send its own X-Forwarded-For; the proxy appends the address it saw.
    for n in range(10):
        log_in(client, "wrong", address="10.0.0.2", forwarded=f"192.0.2.{n}, 203.0.113.7")
    assert log_in(client, PASSWORD, address="10.0.0.2", forwarded="203.0.113.7").status_code == 429
    assert log_in(client, PASSWORD, address="10.0.0.2", forwarded="198.51.100.20").status_code == 302


def test_every_failure_is_logged(client, user, caplog):
    fail(client, 3)
    failures = [r for r in caplog.records if r.name.startswith("axes") and "login failure" in r.getMessage()]
    assert len(failures) == 3
    assert all("holly" in r.getMessage() and "203.0.113.7" in r.getMessage() for r in failures)


def test_a_superuser_unlocks_from_the_admin(client, user, admin_client):
    fail(client, 10)
    attempt = AccessAttempt.objects.get(username="holly")
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert admin_client.get(changelist).status_code == 200
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert log_in(client, PASSWORD).status_code == 302


def test_a_lock_ends_after_the_cool_off(client, user):
    fail(client, 10)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert log_in(client, PASSWORD).status_code == 302
