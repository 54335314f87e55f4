"""A second factor (TOTP, django-otp) for staff who hold the campaign's secrets.

Whoever can see access codes (or generate them), import or export anything, and every
superuser, reaches no admin page until the session is verified with a token from an
authenticator app or a one-time recovery code. ``CampaignAdminSite.has_permission`` asks
``admin_verified``; the login form asks for the token; a staff member without a device yet
sets one up after the password, at ``admin:otp_setup``, from a QR code, and gets ten
recovery codes. ``OTP_REQUIRED`` turns all of this off, and is refused unless ``DEBUG`` is on
(``make run``'s demo login).
"""

import base64
import math

import segno
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

# Besides every import_* and export_* permission: codes are secrets, and whoever may add codes
# downloads the new ones.
CODE_PERMISSIONS = {
    "campaign.view_accesscode",
    "campaign.change_accesscode",
    "campaign.add_accesscode",
    "campaign.view_accesscodebatch",
    "campaign.change_accesscodebatch",
}
RECOVERY_CODES = 10
# Every refused login gets these words: a wrong password, a right one without its code, a wrong
# code, a right code while the device is throttled after a wrong one. Different words would tell
# whoever tries passwords which one was right, so the wait is said to everyone.
LOGIN_REFUSED = (
    "Please enter the correct %(username)s and password for a staff account, and your authenticator code "
    "if you have set one up. The fields may be case-sensitive. After a wrong code, wait a few seconds "
    "before the next try: codes are not checked for a moment."
)
NO_CODE_NEEDED = (
    "Not needed here: this server runs without second factors (OTP_REQUIRED=0, the local demo). Leave it empty."
)
CODE_WRONG = "That code is not valid. Enter the current code from your authenticator app, or a recovery code."
KEY_GROUP = 4  # characters of the set-up key read together, as apps show it


def holds_secrets(user) -> bool:
    """Superusers, and staff who may see or make access codes, or import or export anything: the
    staff who log in with a second factor, and the only ones shown the ticket stock's codes."""
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return any(
        perm in CODE_PERMISSIONS or perm.partition(".")[2].startswith(("import_", "export_"))
        for perm in user.get_all_permissions()
    )


def needs_second_factor(user) -> bool:
    return settings.OTP_REQUIRED and holds_secrets(user)


def is_verified(user) -> bool:
    return bool(getattr(user, "is_verified", lambda: False)())


def admin_verified(user) -> bool:
    """Whether the session may open admin pages as far as the second factor goes."""
    return not needs_second_factor(user) or is_verified(user)


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_enrolment(user) -> bool:
    return user.is_authenticated and not admin_verified(user) and not has_device(user)


class StaffLoginForm(AdminAuthenticationForm):
    """Django's admin login with the code field shown to everyone, whether or not they have an app,
    so the form itself says nothing about an account."""

    error_messages = {**AdminAuthenticationForm.error_messages, "invalid_login": LOGIN_REFUSED}
    otp_token = forms.CharField(
        label="Authenticator code",
        required=False,
        max_length=20,
        help_text="The current code from your authenticator app, or one of your recovery codes. "
        "Leave it empty if you have not set up an app.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not settings.OTP_REQUIRED:
            # The local demo (make run) asks nobody for a code: say so, rather than send staff
            # looking for an app they do not need.
            self.fields["otp_token"].help_text = NO_CODE_NEEDED

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not needs_second_factor(user) or not has_device(user):
            return  # nothing to ask, or a device is set up right after the password
        token = "".join((self.cleaned_data.get("otp_token") or "").split())
        device = match_token(user, token) if token else None
        if device is None:
            # Refused and counted exactly as a wrong password is, so the lockout meets code guessing
            # too, and neither the answer nor the count of failures shows the password was right.
            user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=self.request)
            raise self.get_invalid_login_error()
        user.otp_device = device  # django_otp verifies the session when the login completes


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from the app",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


@never_cache
def otp_setup(request: HttpRequest, admin_site) -> HttpResponse:
    """Set up an authenticator app: a QR code, then the first token confirms it."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login", current_app=admin_site.name))
    if has_device(user) and not is_verified(user):
        # Replacing a device needs the current one: a password alone must not be enough.
        return redirect(reverse("admin:login", current_app=admin_site.name))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        # After a wrong code the device refuses every code, the right one too, for 1 s, then 2, 4...
        # (django-otp's throttling): say so, rather than call a right code "not valid".
        wait = _throttled_seconds(device)
        if wait:
            form.add_error("otp_token", _too_many_tries(device.throttling_failure_count, wait))
        elif device.verify_token("".join(form.cleaned_data["otp_token"].split())):
            codes = _confirm(user, device)
            otp_login(request, device)
            context = {**admin_site.each_context(request), "title": "Recovery codes", "codes": codes}
            return TemplateResponse(request, "admin/otp_recovery_codes.html", context)
        else:
            form.add_error("otp_token", CODE_WRONG)
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        **admin_site.each_context(request),
        "title": "Set up your authenticator app",
        "form": form,
        "qr_svg": mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=5)),  # noqa: S308 - made here
        "secret": " ".join(secret[i : i + KEY_GROUP] for i in range(0, len(secret), KEY_GROUP)),
    }
    return TemplateResponse(request, "admin/otp_setup.html", context)


@require_POST
def otp_logout(request: HttpRequest, admin_site) -> HttpResponse:
    """Log out from the set-up page. The admin's own logout needs a verified session (it sends
    anyone else to the index), and a staff member may stop before setting up the app."""
    logout(request)
    return redirect(reverse("admin:login", current_app=admin_site.name))


def _throttled_seconds(device: TOTPDevice) -> int:
    """Seconds before ``device`` takes a code again after wrong ones (0: it takes one now)."""
    allowed, why = device.verify_is_allowed()
    if allowed or not why or "locked_until" not in why:
        return 0
    return max(1, math.ceil((why["locked_until"] - timezone.now()).total_seconds()))


def _too_many_tries(failures: int, seconds: int) -> str:
    tries = ngettext("%(count)d wrong code", "%(count)d wrong codes", failures) % {"count": failures}
    wait = ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    return (
        f"Too many tries: {tries} in a row, so the app's codes are not checked for a moment. "
        f"Wait {wait}, then enter the code the app shows."
    )


@transaction.atomic
def _confirm(user, device: TOTPDevice) -> list[str]:
    """Make ``device`` the user's one authenticator and issue fresh recovery codes."""
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    return codes
