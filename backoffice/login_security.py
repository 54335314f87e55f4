"""Staff login throttling (django-axes): the client's address, and the page shown while locked.

``X-Forwarded-For`` is a header any client can write, so it is read only when
``TRUSTED_PROXY_COUNT`` says how many proxies of ours stand in front of the application.
Each proxy appends the address it received the request from; the client's address is
therefore the entry that many places from the right, and whatever the client itself put to
the left of it is ignored. With no trusted proxy (the default) the address is the socket's.
"""

from django.conf import settings
from django.contrib.admin import site
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote  # not through all our proxies: only the socket's address is known
    return forwarded[-proxies]


def login_locked_out(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """The admin's login page with the reason instead of the form (AXES_LOCKOUT_CALLABLE)."""
    context = {
        **site.each_context(request),
        "title": "Log in",
        "username": (credentials or {}).get("username") or request.POST.get("username", ""),
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "admin/locked_out.html", context, status=429)
