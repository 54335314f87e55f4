"""The public site's entry page, and the film images uploaded in the admin.

whitenoise serves the built assets (frontend/dist) from the site root; every other path that is
not the admin, the API or an uploaded image is a client-side route, answered with the app's
index.html.
"""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

# Uploads are film images Pillow has opened. Only raster image types are served, so a file of
# another type put in the folder by hand (.html, .svg) can never run as a page of this origin.
MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


@require_safe
@cache_control(public=True, max_age=60 * 60)
def media(request: HttpRequest, path: str) -> FileResponse:
    """An uploaded film image from ``MEDIA_ROOT``, with ``DEBUG`` on or off: posters are public.

    whitenoise cannot serve these (it indexes files when the process starts, and uploads come
    later). A path that leaves ``MEDIA_ROOT`` (``..``, an absolute path, a symlink pointing out)
    or names anything but an image file is a 404. See docs/operations.md for an nginx
    ``location /media/`` that takes this load off the workers.
    """
    root = Path(settings.MEDIA_ROOT).resolve()
    file = (root / path).resolve()
    content_type = MEDIA_TYPES.get(file.suffix.lower())
    if content_type is None or not file.is_relative_to(root) or not file.is_file():
        raise Http404("No such image.")
    return FileResponse(file.open("rb"), content_type=content_type)


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
