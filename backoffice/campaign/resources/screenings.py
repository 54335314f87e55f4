"""The screening schedule in spreadsheets: one row per film, cinema and London start time."""

from django.utils import timezone
from import_export.fields import Field

from backoffice.campaign.models import Cinema, Film, Screening
from backoffice.campaign.resources.base import SpreadsheetResource
from backoffice.campaign.resources.widgets import (
    LondonDateTimeWidget,
    NaturalKeyWidget,
    WholeNumberWidget,
    YesNoWidget,
)
from backoffice.campaign.services.reservations import screening_update


class ScreeningResource(SpreadsheetResource):
    """Creates a screening, or updates the one with the same film, cinema and start.

    Lowering the capacity below the seats already reserved is refused on that row, by the
    same ``Screening.clean`` rule as the admin form.
    """

    film = Field(attribute="film", column_name="film", widget=NaturalKeyWidget(Film))
    cinema = Field(attribute="cinema", column_name="cinema", widget=NaturalKeyWidget(Cinema))
    starts_at = Field(attribute="starts_at", column_name="start", widget=LondonDateTimeWidget())
    # A sold-out report for staff, from with_sold_out(); export only, ignored on import.
    seats_reserved = Field(
        attribute="seats_reserved", column_name="reserved", readonly=True, widget=WholeNumberWidget()
    )
    seats_left = Field(attribute="seats_left", column_name="seats_left", readonly=True, widget=WholeNumberWidget())
    sold_out = Field(attribute="sold_out", column_name="sold_out", readonly=True, widget=YesNoWidget())

    required_columns = ["film", "cinema", "start"]
    # The slug is derived from film, cinema and start on save; the (film, cinema, start)
    # constraint already guards what its uniqueness would.
    clean_exclude = ("slug",)

    class Meta:
        model = Screening
        name = "Screenings"
        fields = ["film", "cinema", "starts_at", "capacity", "seats_reserved", "seats_left", "sold_out"]
        import_id_fields = ["film", "cinema", "starts_at"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import(self, dataset, **kwargs) -> None:
        # An option of the import form: last season's rows stay in the file, and are left out.
        self.skip_past = bool(kwargs.get("skip_past"))
        self.past_rows = 0
        super().before_import(dataset, **kwargs)

    def left_out(self, row) -> bool:
        if not self.skip_past:
            return False
        try:
            starts_at = self.fields["starts_at"].clean(row)
        except ValueError:
            return False  # a bad start is reported on its row, as without the option
        if starts_at is None or starts_at >= timezone.now():
            return False
        self.past_rows += 1
        return True

    def after_import(self, dataset, result, **kwargs) -> None:
        super().after_import(dataset, result, **kwargs)
        # None when the option was off: the counts then say nothing of past rows.
        result.past_rows = self.past_rows if self.skip_past else None

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            # An unknown film, cinema or bad start: treat the row as new so import_instance
            # reports the bad cell in its column instead of failing the row as a whole.
            return None

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True) -> None:
        # Only new and changed rows get here (unchanged ones are skipped first), so a past
        # schedule can still be exported and imported back. A past start would never be shown.
        errors = dict(import_validation_errors or {})
        if "starts_at" not in errors and instance.starts_at and instance.starts_at < timezone.now():
            errors["starts_at"] = [
                f"{instance.local_start:%Y-%m-%d %H:%M} is in the past: such a screening is never shown "
                "or booked. Correct the date or remove the row, or tick “Skip rows in the past”."
            ]
        super().validate_instance(instance, errors, validate_unique)

    def do_instance_save(self, instance, is_create: bool) -> None:
        if is_create:
            super().do_instance_save(instance, is_create)
        else:
            # The same locked write as the admin's change form: bookings may have landed since
            # the row was validated, so capacity is checked again under the screening's lock.
            # Film, cinema and start identify the row, so only the capacity can change.
            screening_update(screening=instance, fields=["capacity"])

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("film", "cinema").with_sold_out()
