"""The CSV columns of access codes and their generation batches.

``AccessCodeResource`` is the one definition of an access code CSV: the admin's Export uses it,
and so do the generation runs (command and admin action) through ``AccessCodeCsv``, so a file
handed to the fulfilment partner has the same columns whichever way it was made.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

import tablib
from django.contrib.auth import get_user_model
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV

from backoffice.campaign.codes import ALPHABET
from backoffice.campaign.models import AccessCode, AccessCodeBatch, Film

# Characters of generated codes: a cell made only of these needs no CSV quoting and no formula
# escaping, so it can be spliced into a row rendered once for its batch.
_PLAIN_CODE_BYTES = (ALPHABET + "-").encode("ascii")
_PLACEHOLDER = "0CODE0PLACEHOLDER0"
_MAX_TEMPLATES = 1000


class AccessCodeResource(resources.ModelResource):
    value = fields.Field(attribute="value", column_name="code")
    max_usages = fields.Field(attribute="max_usages", column_name="max_usages", widget=widgets.IntegerWidget())
    film = fields.Field(attribute="valid_for", column_name="film", widget=widgets.ForeignKeyWidget(Film, "slug"))
    # The id, not the batch's text: reading it needs no join.
    batch = fields.Field(attribute="batch_id", column_name="batch", widget=widgets.IntegerWidget())
    created_at = fields.Field(attribute="created_at", column_name="created_at", widget=widgets.DateTimeWidget())

    class Meta:
        model = AccessCode
        fields = ("value", "max_usages", "film", "batch", "created_at")
        export_order = fields


class AccessCodeBatchResource(resources.ModelResource):
    film = fields.Field(attribute="film", column_name="film", widget=widgets.ForeignKeyWidget(Film, "slug"))
    created_by = fields.Field(
        attribute="created_by",
        column_name="created_by",
        widget=widgets.ForeignKeyWidget(get_user_model(), get_user_model().USERNAME_FIELD),
    )

    class Meta:
        model = AccessCodeBatch
        fields = (
            "id",
            "created_at",
            "finished_at",
            "status",
            "requested_count",
            "created_count",
            "film",
            "max_usages",
            "source",
            "created_by",
            "error",
        )
        export_order = fields


class AccessCodeCsv:
    """Access codes as CSV text in ``AccessCodeResource``'s columns, produced chunk by chunk.

    Rendering every row through the resource costs tens of microseconds a row: minutes for a
    million codes. Codes written together share every column but the code itself, so each
    distinct combination of the other columns is rendered once, through the resource and
    django-import-export's CSV format (formula escaping included), around a placeholder; the
    codes are then spliced in. A value that is not a plain generated code (a hand-typed one)
    is rendered the slow, general way.
    """

    content_type = CSV.CONTENT_TYPE

    def __init__(self) -> None:
        self.resource = AccessCodeResource()
        self.format = CSV()
        self._headers = self.resource.get_export_headers()
        self._header = self.format.export_data(tablib.Dataset(headers=self._headers))
        self._templates: dict[tuple, tuple[str, str]] = {}
        self._films: dict[int, Film] = {}

    def header(self) -> str:
        return self._header

    def generated_rows(
        self,
        values: Sequence[str],
        *,
        max_usages: int,
        film: Film | None,
        batch_id: int | None,
        created_at: datetime,
    ) -> str:
        """The rows of codes written together: same max usages, film, batch and creation time."""
        if not values:
            return ""
        if not _plain(values):
            return "".join(self._row(value, max_usages, film, batch_id, created_at) for value in values)
        prefix, suffix = self._template(max_usages, film, batch_id, created_at)
        return prefix + (suffix + prefix).join(values) + suffix

    def rows(self, rows: Iterable[tuple[str, int, int | None, int | None, datetime]]) -> str:
        """Rows from ``(value, max_usages, valid_for_id, batch_id, created_at)`` tuples."""
        out = []
        for value, max_usages, film_id, batch_id, created_at in rows:
            film = self._film(film_id)
            if _plain((value,)):
                prefix, suffix = self._template(max_usages, film, batch_id, created_at)
                out.append(prefix + value + suffix)
            else:
                out.append(self._row(value, max_usages, film, batch_id, created_at))
        return "".join(out)

    def _film(self, film_id: int | None) -> Film | None:
        if film_id is None:
            return None
        if film_id not in self._films:
            self._films[film_id] = Film.objects.only("slug").get(pk=film_id)
        return self._films[film_id]

    def _template(self, max_usages, film, batch_id, created_at) -> tuple[str, str]:
        key = (max_usages, film.pk if film else None, batch_id, created_at)
        template = self._templates.get(key)
        if template is None:
            if len(self._templates) >= _MAX_TEMPLATES:
                self._templates.clear()  # each insert of a run has its own time: keep memory flat

            prefix, suffix = self._row(_PLACEHOLDER, max_usages, film, batch_id, created_at).split(_PLACEHOLDER)
            template = self._templates[key] = (prefix, suffix)
        return template

    def _row(self, value, max_usages, film, batch_id, created_at) -> str:
        code = AccessCode(value=value, max_usages=max_usages, valid_for=film, batch_id=batch_id, created_at=created_at)
        dataset = tablib.Dataset(headers=self._headers)
        dataset.append(self.resource.export_resource(code))
        return self.format.export_data(dataset)[len(self._header) :]


def _plain(values: Sequence[str]) -> bool:
    return not "".join(values).encode("ascii", "replace").translate(None, _PLAIN_CODE_BYTES)
