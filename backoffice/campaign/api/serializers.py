"""What the public API shows of films, cinemas and screenings: nothing personal, ever.

Reservations, names, emails, access codes and tickets have no serializer here on purpose.
"""

from django.db.models import F, QuerySet
from rest_framework import serializers

from backoffice.campaign.models import Cinema, Film
from backoffice.campaign.querysets import ScreeningQuerySet


class FilmSerializer(serializers.ModelSerializer):
    """A live film; the three counts come from ``Film.objects.with_sold_out()``."""

    sold_out = serializers.BooleanField(read_only=True, help_text="Every upcoming screening is sold out.")
    screenings_total = serializers.IntegerField(read_only=True, help_text="Upcoming screenings.")
    screenings_sold_out = serializers.IntegerField(read_only=True, help_text="Upcoming screenings that are sold out.")
    # Absolute URLs (the request is in the serializer context), or null when there is no image.
    image_1 = serializers.ImageField(read_only=True, allow_null=True)
    image_2 = serializers.ImageField(read_only=True, allow_null=True)

    class Meta:
        model = Film
        fields = [
            "slug",
            "name",
            "release_date",
            "genre",
            "certificate",
            "description",
            "running_time",
            "showing_from",
            "image_1",
            "image_2",
            "copyright",
            "sold_out",
            "screenings_total",
            "screenings_sold_out",
        ]
        read_only_fields = fields


class CinemaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cinema
        fields = ["slug", "name", "address", "lat", "lng"]
        read_only_fields = fields


class ScreeningSerializer(serializers.Serializer):
    """An upcoming screening with its sold-out status.

    Reads the flat rows of ``screening_rows()`` (dicts from ``.values()``, or screenings annotated
    the same way): the list endpoint sends up to a thousand of them per page, and flat rows skip
    building two related model instances per screening.
    """

    slug = serializers.CharField(read_only=True)
    film = serializers.CharField(source="film_slug", read_only=True, help_text="The film's slug.")
    film_name = serializers.CharField(read_only=True)
    cinema = serializers.CharField(source="cinema_slug", read_only=True, help_text="The cinema's slug.")
    cinema_name = serializers.CharField(read_only=True)
    starts_at = serializers.DateTimeField(
        read_only=True, help_text="ISO 8601 in Europe/London time with its UTC offset (Z while London is on GMT)."
    )
    capacity = serializers.IntegerField(read_only=True)
    seats_left = serializers.IntegerField(read_only=True, min_value=0)
    sold_out = serializers.BooleanField(read_only=True)


def screening_rows(screenings: ScreeningQuerySet) -> QuerySet:
    """The flat rows ``ScreeningSerializer`` reads: one query, only the columns it shows."""
    return screenings.with_sold_out().values(
        "slug",
        "starts_at",
        "capacity",
        "seats_left",
        "sold_out",
        film_slug=F("film__slug"),
        film_name=F("film__name"),
        cinema_slug=F("cinema__slug"),
        cinema_name=F("cinema__name"),
    )
