from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from backoffice import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("backoffice.campaign.api.urls")),
]
if settings.DEBUG:
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

# Everything else is a route of the public site: the single-page app decides what to show.
urlpatterns += [re_path(r"^(?!api/|admin/|static/|media/).*$", views.public_site, name="public-site")]
