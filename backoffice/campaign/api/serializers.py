"""What the public API shows of films, cinemas and screenings: nothing personal, ever.

Reservations, names, emails, access codes and tickets have no serializer here on purpose.
"""

from collections.abc import Callable
from functools import cached_property

from django.conf import settings
from django.db.models import BooleanField, DateTimeField, ExpressionWrapper, F, Q, QuerySet, Value
from rest_framework import serializers

from backoffice.campaign.models import CampaignContact, Cinema, Film
from backoffice.campaign.querysets import ScreeningQuerySet, bookable_condition, booking_cutoff


class FilmSerializer(serializers.ModelSerializer):
    """A live film; the counts and flags come from ``Film.objects.with_sold_out()``."""

    sold_out = serializers.BooleanField(read_only=True, help_text="Every upcoming screening is sold out.")
    screenings_total = serializers.IntegerField(read_only=True, help_text="Upcoming screenings.")
    screenings_sold_out = serializers.IntegerField(read_only=True, help_text="Upcoming screenings that are sold out.")
    run_ended = serializers.BooleanField(read_only=True, help_text="It had screenings and none is still to come.")
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
            "run_ended",
        ]
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    """How the public books: campaign staff's own contact, never a customer's."""

    # Plain text: empty until staff fill it in, which an "email" format would not allow.
    email = serializers.CharField(read_only=True)
    booking_cutoff_minutes = serializers.SerializerMethodField(
        help_text="Bookings for a screening close this many minutes before it starts (BOOKING_CUTOFF_MINUTES)."
    )

    class Meta:
        model = CampaignContact
        fields = ["phone", "email", "opening_hours", "text", "booking_cutoff_minutes"]
        read_only_fields = fields

    def get_booking_cutoff_minutes(self, contact: CampaignContact) -> int:
        return settings.BOOKING_CUTOFF_MINUTES


class PrivacyNoticeSerializer(serializers.Serializer):
    """The public site's privacy notice: plain text, paragraphs separated by a blank line."""

    text = serializers.CharField(
        source="privacy_notice_text", read_only=True, help_text="Staff's notice, or the standard one."
    )


class CinemaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cinema
        fields = ["slug", "name", "address", "lat", "lng"]
        read_only_fields = fields


class ScreeningSerializer(serializers.Serializer):
    """An upcoming screening with its sold-out, cancelled and bookings-closed status, from a row
    of ``screening_rows()``. Who cancelled it is never shown; why is, as staff wrote it for customers.

    The list sends up to 1,000 screenings a page, so rows are flat dicts from ``.values()`` (no
    model instances) and ``to_representation`` copies the values that already are JSON types
    instead of running each through its field, which costs DRF tens of microseconds per row.
    The declared fields still describe the shape for the schema.
    """

    slug = serializers.CharField(read_only=True)
    code = serializers.CharField(
        read_only=True, help_text="Six letters and digits customers quote to staff to name the screening."
    )
    film = serializers.CharField(source="film_slug", read_only=True, help_text="The film's slug.")
    film_name = serializers.CharField(read_only=True)
    cinema = serializers.CharField(source="cinema_slug", read_only=True, help_text="The cinema's slug.")
    cinema_name = serializers.CharField(read_only=True)
    starts_at = serializers.DateTimeField(
        read_only=True, help_text="ISO 8601 in Europe/London time with its UTC offset (Z while London is on GMT)."
    )
    capacity = serializers.IntegerField(read_only=True)
    seats_left = serializers.IntegerField(read_only=True, min_value=0)
    sold_out = serializers.BooleanField(read_only=True, help_text="Every seat is reserved; never for a cancelled one.")
    cancelled = serializers.BooleanField(read_only=True, help_text="Off: not bookable, and not sold out either.")
    cancellation_reason = serializers.CharField(
        read_only=True, help_text="Why it was cancelled, as customers are told; empty when it is not."
    )
    bookings_close_at = serializers.DateTimeField(
        read_only=True, help_text="When it stops taking bookings (the cut-off before its start), like starts_at."
    )
    bookings_closed = serializers.BooleanField(
        read_only=True, help_text="The cut-off has passed: no booking, whatever the seats left."
    )

    def to_representation(self, row: dict) -> dict:
        return {name: row[key] if convert is None else convert(row[key]) for name, key, convert in self._columns}

    @cached_property
    def _columns(self) -> list[tuple[str, str, Callable | None]]:
        as_is = (serializers.CharField, serializers.IntegerField, serializers.BooleanField)
        return [
            (name, field.source, None if isinstance(field, as_is) else field.to_representation)
            for name, field in self.fields.items()
        ]


def screening_rows(screenings: ScreeningQuerySet) -> QuerySet:
    """The flat rows ``ScreeningSerializer`` reads: one query, only the columns it shows."""
    return screenings.with_sold_out().values(
        "slug",
        "code",
        "starts_at",
        "capacity",
        "seats_left",
        "sold_out",
        "cancellation_reason",
        cancelled=ExpressionWrapper(Q(cancelled_at__isnull=False), output_field=BooleanField()),
        bookings_close_at=ExpressionWrapper(F("starts_at") - Value(booking_cutoff()), output_field=DateTimeField()),
        bookings_closed=ExpressionWrapper(~bookable_condition(), output_field=BooleanField()),
        film_slug=F("film__slug"),
        film_name=F("film__name"),
        cinema_slug=F("cinema__slug"),
        cinema_name=F("cinema__name"),
    )
