"""The public, read-only API: live films, cinemas and upcoming screenings, each by slug, the
campaign's contact for booking and its privacy notice.

Every list costs two SQL queries (the page and its count) whatever the number of rows.
Responses are cached server-side and marked publicly cacheable by ``cache.ApiCacheMiddleware``.
"""

import datetime as dt
import re

from django.core.validators import slug_re
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, viewsets
from rest_framework.exceptions import ValidationError

from backoffice.campaign.api.pagination import PublicPagination
from backoffice.campaign.api.serializers import (
    CinemaSerializer,
    ContactSerializer,
    FilmSerializer,
    PrivacyNoticeSerializer,
    ScreeningSerializer,
    screening_rows,
)
from backoffice.campaign.models import LONDON, CampaignContact, Cinema, Film, Screening

# fromisoformat alone would also take week dates and the compact form (2026-W52-4, 20261224).
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# Days a screening could be on, with room for the next midnight (9999-12-31 has none).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9998, 12, 31)


class PublicViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    # The query parameters a list answers to: the API cache keys on these and no others.
    query_params: tuple[str, ...] = (PublicPagination.page_query_param, PublicPagination.page_size_query_param)


class FilmViewSet(PublicViewSet):
    """Live films, by name, each with the sold-out status of its upcoming screenings."""

    serializer_class = FilmSerializer

    def get_queryset(self) -> QuerySet:
        return Film.objects.live().with_sold_out().order_by("name", "pk")


class CinemaViewSet(PublicViewSet):
    """Cinemas, by name. The public site fetches them all once and searches them itself."""

    serializer_class = CinemaSerializer
    queryset = Cinema.objects.order_by("name", "pk")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("film", OpenApiTypes.STR, description="Only screenings of the film with this slug."),
            OpenApiParameter("cinema", OpenApiTypes.STR, description="Only screenings at the cinema with this slug."),
            OpenApiParameter(
                "date", OpenApiTypes.DATE, description="Only screenings on this Europe/London day (YYYY-MM-DD)."
            ),
        ]
    )
)
class ScreeningViewSet(PublicViewSet):
    """Upcoming screenings of live films, by cinema name then start, with seats left and sold-out status."""

    serializer_class = ScreeningSerializer
    query_params = (*PublicViewSet.query_params, "film", "cinema", "date")

    def get_queryset(self) -> QuerySet:
        screenings = Screening.objects.public()
        if self.action == "list":
            screenings = self._filtered(screenings)
        return screening_rows(screenings.order_by("cinema__name", "starts_at", "pk"))

    def _filtered(self, screenings):
        params = self.request.query_params
        for name in ("film", "cinema"):
            if slug := params.get(name):
                # A value no slug can be (a NUL, which PostgreSQL refuses outright) matches nothing.
                screenings = screenings.filter(**{f"{name}__slug": slug}) if slug_re.match(slug) else screenings.none()
        if (day := params.get("date")) is not None:
            start = dt.datetime.combine(_parse_day(day), dt.time.min, tzinfo=LONDON)
            # The next midnight in London, which is not always 24 hours later (clock changes).
            end = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time.min, tzinfo=LONDON)
            screenings = screenings.filter(starts_at__gte=start, starts_at__lt=end)
        return screenings


class ContactView(generics.RetrieveAPIView):
    """How to book: campaign staff's phone, email, opening hours and a note (empty until staff fill them in)."""

    serializer_class = ContactSerializer

    def get_object(self) -> CampaignContact:
        return CampaignContact.load()


class PrivacyNoticeView(generics.RetrieveAPIView):
    """The privacy notice: what the campaign keeps about the people who book, why, and for how long."""

    serializer_class = PrivacyNoticeSerializer

    def get_object(self) -> CampaignContact:
        return CampaignContact.load()


def _parse_day(value: str) -> dt.date:
    try:
        if not DAY.fullmatch(value):
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({"date": [f"Give the date as YYYY-MM-DD, e.g. 2026-12-24 (got {value!r})."]}) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError({"date": [f"Give a date between {FIRST_DAY} and {LAST_DAY} (got {value!r})."]})
    return day
