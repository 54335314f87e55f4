"""The public site's entry page.

whitenoise serves the built assets (frontend/dist) from the site root; every other path that is
not the admin or the API is a client-side route, answered with the app's index.html.
"""

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@lru_cache(maxsize=1)
def _index_html() -> str | None:
    index = settings.FRONTEND_DIST / "index.html"
    return index.read_text(encoding="utf-8") if index.is_file() else None


@require_safe
@cache_control(no_cache=True, public=True)
def public_site(request: HttpRequest) -> HttpResponse:
    html = _index_html() if not settings.DEBUG else _index_html.__wrapped__()
    if html is None:
        return HttpResponse(
            "The public site has not been built yet: run `make run` (or `npm run build` in frontend/).",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(html)
    # The Content-Security-Policy comes from ContentSecurityPolicyMiddleware, as on every page.
    response["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()"
    return response
