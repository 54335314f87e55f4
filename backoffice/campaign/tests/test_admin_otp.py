"""Staff who can see access codes, import or export reach no admin page without a TOTP token."""

import base64
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
SETUP = reverse("admin:otp_setup")
PASSWORD = "correct horse battery staple"
ADMIN_PAGES = [
    INDEX,
    reverse("admin:campaign_accesscode_changelist"),
    reverse("admin:campaign_accesscode_generate"),
    reverse("admin:campaign_reservation_changelist"),
    reverse("admin:campaign_ticket_import"),
    reverse("admin:campaign_reservation_export"),
    reverse("admin:autocomplete") + "?app_label=campaign&model_name=reservation&field_name=access_code",
    reverse("admin:password_change"),
]
SENSITIVE = ["view_accesscode", "view_accesscodebatch", "import_ticket", "export_reservation", "export_film"]
EVERYTHING = [
    "view_accesscode",
    "add_accesscode",
    "view_accesscodebatch",
    "export_accesscode",
    "view_reservation",
    "export_reservation",
    "view_ticket",
    "import_ticket",
]


def staff_user(django_user_model, *codenames: str, username: str = "holly"):
    user = django_user_model.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="campaign", codename__in=codenames))
    return user


def token(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def unthrottle(device) -> None:
    # After a wrong code the device itself refuses every code for a second, then two, ...
    type(device).objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)


def log_in(client, user, otp_token: str | None = None):
    data = {"username": user.username, "password": PASSWORD, "next": INDEX}
    if otp_token is not None:
        data["otp_token"] = otp_token
    return client.post(LOGIN, data)


def reaches(client, url: str) -> bool:
    return client.get(url).status_code == 200


@pytest.mark.parametrize("codename", SENSITIVE)
def test_a_password_alone_reaches_no_admin_page(client, django_user_model, codename):
    user = staff_user(django_user_model, *EVERYTHING, codename)
    assert log_in(client, user).status_code == 302
    for url in ADMIN_PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith((LOGIN, SETUP)), url


def test_a_superuser_needs_a_token_too(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", password=PASSWORD)
    log_in(client, user)
    assert not any(reaches(client, url) for url in ADMIN_PAGES)


def test_staff_without_secrets_need_no_token(client, django_user_model):
    user = staff_user(django_user_model, "view_film", "change_film", "view_screening")
    assert log_in(client, user).status_code == 302
    assert reaches(client, INDEX)
    assert reaches(client, reverse("admin:campaign_film_changelist"))


def wrong_token(device: TOTPDevice) -> str:
    return "000000" if token(device) != "000000" else "111111"


def without_csrf_token(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def test_with_a_device_the_login_asks_for_its_token(client, django_user_model):
    user = staff_user(django_user_model, *EVERYTHING)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    page = log_in(client, user).content.decode()
    assert "and your authenticator code if you have set one up" in page
    assert "_auth_user_id" not in client.session
    log_in(client, user, wrong_token(device))
    assert "_auth_user_id" not in client.session
    unthrottle(device)
    assert log_in(client, user, token(device)).status_code == 302
    assert all(reaches(client, url) for url in ADMIN_PAGES)


def test_a_right_code_just_after_a_wrong_one_at_login_is_refused_with_a_word_to_wait(
    client, django_user_model, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 10
    user = staff_user(django_user_model, *EVERYTHING)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    log_in(client, user, wrong_token(device))
    refused = log_in(client, user, token(device)).content.decode()
    assert "_auth_user_id" not in client.session
    # The same words as for a wrong password, so they give nothing away, and they say to wait.
    assert "After a wrong code, wait a few seconds before the next try" in refused
    user.set_password("something else")
    user.save()
    wrong_password = log_in(client, user).content.decode()
    assert re.findall(r'<p class="errornote">(.*?)</p>', wrong_password, re.S) == re.findall(
        r'<p class="errornote">(.*?)</p>', refused, re.S
    )


def test_a_recovery_code_works_once(client, django_user_model):
    user = staff_user(django_user_model, *EVERYTHING)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    recovery.token_set.create(token="a1b2c3d4")
    assert log_in(client, user, "a1b2c3d4").status_code == 302
    assert reaches(client, INDEX)
    client.logout()
    log_in(client, user, "a1b2c3d4")
    assert not reaches(client, INDEX)


def test_enrolment_with_a_qr_code_then_recovery_codes(client, django_user_model):
    user = staff_user(django_user_model, *EVERYTHING)
    log_in(client, user)
    response = client.get(INDEX, follow=True)
    assert response.redirect_chain[-1][0].startswith(SETUP)
    page = response.content.decode()
    assert "<svg" in page  # the QR code of the otpauth:// URL
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post(SETUP, {"otp_token": "000000" if token(device) != "000000" else "111111"})
    assert "That code is not valid" in wrong.content.decode()
    assert not reaches(client, INDEX)

    unthrottle(device)
    done = client.post(SETUP, {"otp_token": token(device)})
    assert done.status_code == 200
    codes = re.findall(r'<li class="recovery-code"><code>([a-z0-9]+)</code></li>', done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert sorted(StaticDevice.objects.get(user=user).token_set.values_list("token", flat=True)) == sorted(codes)
    assert all(reaches(client, url) for url in ADMIN_PAGES)


def test_the_set_up_key_reads_in_groups_of_four(client, django_user_model):
    user = staff_user(django_user_model, *EVERYTHING)
    log_in(client, user)
    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    [key] = re.findall(r'<code class="otp-key">([A-Z2-7 ]+)</code>', page)
    groups = key.split(" ")
    assert [len(group) for group in groups] == [4] * 8
    assert "".join(groups) == base64.b32encode(device.bin_key).decode()


def test_a_right_code_just_after_a_wrong_one_is_told_to_wait(client, django_user_model, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 10  # 10 s after one wrong code, so the test cannot outrun it
    user = staff_user(django_user_model, *EVERYTHING)
    log_in(client, user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(SETUP, {"otp_token": "000000" if token(device) != "000000" else "111111"})
    refused = client.post(SETUP, {"otp_token": token(device)}).content.decode()
    assert "That code is not valid" not in refused
    assert re.search(r"Too many tries: 1 wrong code in a row, .* Wait (9|10) seconds, then enter the code", refused)
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed

    unthrottle(device)
    assert "Recovery codes" in client.post(SETUP, {"otp_token": token(device)}).content.decode()


def test_the_set_up_page_offers_a_log_out(client, django_user_model):
    user = staff_user(django_user_model, *EVERYTHING)
    log_in(client, user)
    logout = reverse("admin:otp_logout")
    page = client.get(SETUP).content.decode()
    assert f'<form id="logout-form" method="post" action="{logout}">' in page
    assert client.get(logout).status_code == 405  # a link or a prefetch logs nobody out
    response = client.post(logout)
    assert response["Location"] == LOGIN
    assert client.get(SETUP)["Location"].startswith(LOGIN)  # the password is asked again


def test_enrolment_needs_a_password_login_first(client):
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_confirmed_device_cannot_be_replaced_without_its_token(client, django_user_model):
    user = staff_user(django_user_model, *EVERYTHING)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)  # password known, token not
    response = client.get(SETUP)
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()


def test_the_requirement_can_be_turned_off_for_local_demo_runs(client, django_user_model, settings):
    settings.OTP_REQUIRED = False
    user = staff_user(django_user_model, *EVERYTHING)
    log_in(client, user)
    assert all(reaches(client, url) for url in ADMIN_PAGES)


@pytest.mark.parametrize("required", [True, False])
def test_the_login_page_says_no_code_is_needed_only_when_none_is_asked(client, settings, required):
    settings.OTP_REQUIRED = required
    page = client.get(LOGIN).content.decode()

    assert ("Not needed here: this server runs without second factors" in page) is not required
    assert ("The current code from your authenticator app" in page) is required
    assert "Authenticator code" in page


def test_wrong_codes_count_towards_the_login_lockout(client, django_user_model, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = staff_user(django_user_model, *EVERYTHING)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    assert [log_in(client, user, wrong_token(device)).status_code for _ in range(3)] == [200, 200, 429]
    unthrottle(device)
    assert log_in(client, user, token(device)).status_code == 429


@pytest.mark.parametrize("otp_token", ["", "123456"])
def test_a_right_password_without_its_code_is_answered_as_a_wrong_password(client, django_user_model, otp_token):
    user = staff_user(django_user_model, *EVERYTHING)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    if otp_token == token(device):
        otp_token = wrong_token(device)
    answers = [
        client.post(LOGIN, {"username": user.username, "password": password, "otp_token": otp_token, "next": INDEX})
        for password in ("not the password", PASSWORD)
    ]
    assert [answer.status_code for answer in answers] == [200, 200]
    wrong_password, right_password = (without_csrf_token(answer.content.decode()) for answer in answers)
    assert right_password == wrong_password
    assert "correct username and password for a staff account, and your authenticator code" in wrong_password
    assert 'name="otp_token"' in wrong_password
    assert "_auth_user_id" not in client.session


def test_a_right_password_without_its_code_counts_towards_the_lockout(client, django_user_model, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = staff_user(django_user_model, *EVERYTHING)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    assert [log_in(client, user, "").status_code for _ in range(3)] == [200, 200, 429]
    assert log_in(client, user, token(device)).status_code == 429


def test_staff_without_an_app_see_the_same_login_form(client, django_user_model):
    user = staff_user(django_user_model, "view_film")
    page = client.get(LOGIN).content.decode()
    assert 'name="otp_token"' in page
    assert "Leave it empty if you have not set up an app." in page
    assert log_in(client, user, "").status_code == 302


def test_a_staff_session_lasts_twelve_hours_and_the_next_one_asks_for_the_code_again(client, django_user_model):
    user = staff_user(django_user_model, *EVERYTHING)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    response = log_in(client, user, token(device))
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 12 * 60 * 60
    session = Session.objects.get()
    assert abs(session.expire_date - timezone.now() - timedelta(hours=12)) < timedelta(minutes=1)
    assert reaches(client, INDEX)

    # Twelve hours on, the browser may still send the cookie (a restored tab): the server has let the session go.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(INDEX)["Location"].startswith(LOGIN)
    unthrottle(device)
    assert log_in(client, user).status_code == 200  # the password alone opens nothing
    assert not reaches(client, INDEX)
    recovery = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    recovery.token_set.create(token="a1b2c3d4")  # the app's code of a minute ago is spent
    assert log_in(client, user, "a1b2c3d4").status_code == 302
    assert reaches(client, INDEX)


def test_logging_in_again_in_a_verified_session_asks_for_the_code_again(client, django_user_model):
    user = staff_user(django_user_model, *EVERYTHING)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    log_in(client, user, token(device))
    client.logout()
    assert log_in(client, user).status_code == 200
    assert not reaches(client, INDEX)


def test_a_superuser_can_remove_a_lost_device(admin_client, django_user_model):
    user = staff_user(django_user_model, *EVERYTHING)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    changelist = reverse("admin:otp_totp_totpdevice_changelist")
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [device.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
