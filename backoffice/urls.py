from django.contrib import admin
from django.urls import include, path, re_path

from backoffice import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("backoffice.campaign.api.urls")),
    # Uploaded film images, in production too (backoffice/views.py).
    path("media/<path:path>", views.media, name="media"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]

# The public site's routes, as frontend/src/routes.jsx has them (a trailing slash reaches the same
# page there); any other path gets the app's not-found page with a 404. /admin and /api without
# their slash match nothing here, so CommonMiddleware redirects them to it.
urlpatterns += [
    path("", views.films_page, name="site-films"),
    re_path(r"^films/?$", views.films_page),
    re_path(r"^films/(?P<slug>[-\w]+)/?$", views.film_page, name="site-film"),
    re_path(r"^cinemas/?$", views.cinemas_page, name="site-cinemas"),
    re_path(r"^cinemas/(?P<slug>[-\w]+)/?$", views.cinema_page, name="site-cinema"),
    re_path(r"^privacy/?$", views.privacy_page, name="site-privacy"),
    re_path(r"^(?!(?:api|admin|static|media)(?:/|$)).*$", views.not_found, name="site-not-found"),
]
