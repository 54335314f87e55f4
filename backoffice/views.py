"""The public site's pages (the app's index.html, with the title, description and link preview of
the page asked for), and the film images uploaded in the admin.

whitenoise serves the built assets (frontend/dist, icons included) from the site root. The site's
own routes (those of frontend/src/routes.jsx) answer 200 with the app's page; any other path,
and a film or cinema the site does not show, answers 404 with the same page, so the app still
renders its not-found view while search engines and link checkers see the status. The head a
page gets names the same title the app sets (``<page> · Xmas Films``), so the two never disagree.

The head also preloads the API requests the page's loader makes (frontend/src/loaders.js), at the
URLs api.js asks for, so the data arrives while the script is still downloading instead of
after it has run.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from backoffice.campaign.api.pagination import PublicPagination
from backoffice.campaign.models import Cinema, Film

SITE_NAME = "Xmas Films"
SITE_DESCRIPTION = (
    "Free Christmas film tickets: browse the films, find a cinema near you and see which screenings still have seats."
)
# What search results and link previews show of a longer text.
DESCRIPTION_CHARS = 160
# The build's own title and description, replaced by the page's.
TITLE = re.compile(r"<title>.*?</title>", re.DOTALL)
DESCRIPTION = re.compile(r'\s*<meta name="description"[^>]*>')
ROBOTS_TXT = "User-agent: *\nAllow: /\n"


@dataclass(frozen=True)
class PageMeta:
    title: str
    description: str = SITE_DESCRIPTION
    kind: str = "website"
    image: str = ""
    status: int = 200
    # The API URLs the page's loader fetches, preloaded from the head.
    data: tuple[str, ...] = ()


NOT_FOUND = PageMeta("Page not found", "We couldn't find that page.", status=404)


@lru_cache(maxsize=1)
def _index_html() -> str | None:
    index = settings.FRONTEND_DIST / "index.html"
    return index.read_text(encoding="utf-8") if index.is_file() else None


def _head(request: HttpRequest, meta: PageMeta) -> str:
    title = f"{meta.title} · {SITE_NAME}"
    head = format_html(
        '<title>{}</title>\n    <meta name="description" content="{}" />\n'
        '    <meta property="og:site_name" content="{}" />\n    <meta property="og:title" content="{}" />\n'
        '    <meta property="og:description" content="{}" />\n    <meta property="og:type" content="{}" />\n'
        '    <meta property="og:url" content="{}" />',
        title,
        meta.description,
        SITE_NAME,
        title,
        meta.description,
        meta.kind,
        request.build_absolute_uri(request.path),
    )
    if meta.image:
        head += format_html('\n    <meta property="og:image" content="{}" />', meta.image)
    if meta.status == 404:
        head += '\n    <meta name="robots" content="noindex" />'
    for url in meta.data:
        # crossorigin: fetch() asks in CORS mode, and a preload is only used by a request of its mode.
        head += format_html('\n    <link rel="preload" as="fetch" crossorigin href="{}" />', url)
    return head


def _api_list(path: str, **filters: str) -> str:
    """A list's URL as api.js ``getAll`` asks for it: its filters, then the largest page size."""
    return f"{path}?{urlencode({**filters, 'page_size': PublicPagination.max_page_size})}"


def _api_item(collection: str, slug: str) -> str:
    return f"/api/{collection}/{quote(slug, safe='')}/"


def _summary(text: str) -> str:
    return Truncator(" ".join(text.split())).chars(DESCRIPTION_CHARS)


def _film_meta(request: HttpRequest, slug: str) -> PageMeta:
    film = Film.objects.live().filter(slug=slug).only("slug", "name", "description", "image_1").first()
    if film is None:
        return PageMeta("Film not found", "We couldn't find that film.", status=404)
    return PageMeta(
        film.name,
        _summary(film.description) or f"Free tickets to see {film.name} at a cinema near you this Christmas.",
        kind="video.movie",
        image=request.build_absolute_uri(film.image_1.url) if film.image_1 else "",
        data=(
            _api_item("films", film.slug),
            _api_list("/api/screenings/", film=film.slug),
            _api_list("/api/cinemas/"),
        ),
    )


def _cinema_meta(slug: str) -> PageMeta:
    cinema = Cinema.objects.filter(slug=slug).only("slug", "name", "address").first()
    if cinema is None:
        return PageMeta("Cinema not found", "We couldn't find that cinema.", status=404)
    where = ", ".join(line.strip() for line in cinema.address.splitlines() if line.strip())
    return PageMeta(
        cinema.name,
        _summary(f"Free Christmas film screenings at {cinema.name}{f', {where}' if where else ''}."),
        data=(_api_item("cinemas", cinema.slug), _api_list("/api/screenings/", cinema=cinema.slug)),
    )


def _page(request: HttpRequest, meta: PageMeta) -> HttpResponse:
    html = _index_html() if not settings.DEBUG else _index_html.__wrapped__()
    if html is None:
        return HttpResponse(
            "The public site has not been built yet: run `make run` (or `npm run build` in frontend/).",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    html = TITLE.sub(lambda _: _head(request, meta), DESCRIPTION.sub("", html, count=1), count=1)
    response = HttpResponse(html, status=meta.status)
    # The Content-Security-Policy comes from ContentSecurityPolicyMiddleware, as on every page.
    response["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()"
    return response


def _site_page(view):
    return require_safe(cache_control(no_cache=True, public=True)(view))


@_site_page
def films_page(request: HttpRequest) -> HttpResponse:
    return _page(request, PageMeta("Films", data=(_api_list("/api/films/"),)))


@_site_page
def film_page(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _film_meta(request, slug))


@_site_page
def cinemas_page(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        PageMeta("Cinemas", "Find a cinema near you showing free Christmas films.", data=(_api_list("/api/cinemas/"),)),
    )


@_site_page
def cinema_page(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _cinema_meta(slug))


@_site_page
def privacy_page(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        PageMeta("Privacy", "How the campaign uses the details you give when you book.", data=("/api/privacy/",)),
    )


@_site_page
def not_found(request: HttpRequest) -> HttpResponse:
    return _page(request, NOT_FOUND)


@require_safe
@cache_control(max_age=24 * 60 * 60, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    return HttpResponse(ROBOTS_TXT, content_type="text/plain; charset=utf-8")


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
