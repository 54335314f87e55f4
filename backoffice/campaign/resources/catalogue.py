"""Cinemas and films in spreadsheets, matched to existing rows by slug or else by name."""

from django.core.exceptions import ValidationError
from import_export.fields import Field

from backoffice.campaign.models import Cinema, Film
from backoffice.campaign.resources.base import SpreadsheetResource
from backoffice.campaign.resources.widgets import TrimmedTextWidget, YesNoWidget, cell_text


class SlugOrNameResource(SpreadsheetResource):
    """Rows update the cinema or film with their slug; rows without a slug, the one with their name.

    A row matching nothing adds a new one (its slug made from the name when left empty).
    """

    required_columns = [("slug", "name")]

    def get_instance(self, instance_loader, row):
        model = self._meta.model
        slug = cell_text(row.get("slug"))
        if slug:
            return model._default_manager.filter(slug=slug).first()
        name = cell_text(row.get("name"))
        if not name:
            return None
        matches = list(model._default_manager.filter(name__iexact=name)[:2])
        if len(matches) > 1:
            label = model._meta.verbose_name_plural
            raise ValidationError({"slug": f'Several {label} are named "{name}"; give the slug of the one to update.'})
        return matches[0] if matches else None


class CinemaResource(SlugOrNameResource):
    class Meta:
        model = Cinema
        name = "Cinemas"
        # contact_email is where door lists go: a cinema without one gets none.
        fields = ["name", "slug", "address", "lat", "lng", "contact_email"]
        # Matching is by slug or name (get_instance), so no single id column is demanded.
        import_id_fields = []
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


class FilmResource(SlugOrNameResource):
    release_date = Field(attribute="release_date", column_name="release_year", widget=TrimmedTextWidget())
    live = Field(attribute="live", column_name="live", widget=YesNoWidget())

    class Meta:
        model = Film
        name = "Films"
        fields = [
            "name",
            "slug",
            "release_date",
            "genre",
            "certificate",
            "running_time",
            "showing_from",
            "description",
            "copyright",
            "live",
        ]
        import_id_fields = []
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
