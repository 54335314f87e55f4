"""The public, read-only API, its OpenAPI schema and its interactive docs (served offline)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from backoffice.campaign.api.views import (
    CinemaViewSet,
    ContactView,
    FilmViewSet,
    PrivacyNoticeView,
    ScreeningViewSet,
)

app_name = "api"


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script at ``?script``, not inline, so the page keeps to the CSP."""

    query_params = ("script",)


router = DefaultRouter()
router.include_format_suffixes = False
router.register("films", FilmViewSet, basename="film")
router.register("cinemas", CinemaViewSet, basename="cinema")
router.register("screenings", ScreeningViewSet, basename="screening")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    path("contact/", ContactView.as_view(), name="contact"),
    path("privacy/", PrivacyNoticeView.as_view(), name="privacy"),
    path("", include(router.urls)),
]
