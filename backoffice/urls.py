from django.contrib import admin
from django.urls import include, path, re_path

from backoffice import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("backoffice.campaign.api.urls")),
    # Uploaded film images, in production too (backoffice/views.py).
    path("media/<path:path>", views.media, name="media"),
]

# Everything else is a route of the public site: the single-page app decides what to show.
urlpatterns += [re_path(r"^(?!api/|admin/|static/|media/).*$", views.public_site, name="public-site")]
