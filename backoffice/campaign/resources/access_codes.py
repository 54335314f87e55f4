"""The CSV columns of access codes and their generation batches.

``AccessCodeResource`` is the one definition of an access code CSV: the admin's Export uses it,
and so do the generation runs (command and admin action) through ``AccessCodeCsv``, so a file
handed to the fulfilment partner has the same columns whichever way it was made.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter

import tablib
from django.contrib.auth import get_user_model
from import_export import fields, resources, widgets

from backoffice.campaign.codes import CODE_RE
from backoffice.campaign.models import AccessCode, AccessCodeBatch, Film
from backoffice.campaign.resources.formats import CSV


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
    """Access codes as CSV text in ``AccessCodeResource``'s columns, chunk by chunk.

    Codes made together (a committed batch of a run) share every column but the code, which
    comes first, and a generated code (``CODE_RE``) needs neither quoting nor formula escaping
    (the other columns are escaped like every export, ``resources.formats``).
    So the first row of such a group is rendered through the resource and django-import-export's
    CSV format, and the others are that row with their own code in its place. A group holding
    any other code (one typed by hand) has each of its rows rendered that way.
    """

    content_type = CSV.CONTENT_TYPE

    def __init__(self) -> None:
        self.resource = AccessCodeResource()
        self.format = CSV()
        self._headers = self.resource.get_export_headers()
        self._header = self.format.export_data(tablib.Dataset(headers=self._headers))
        self._films: dict[int, Film] = {}

    def header(self) -> str:
        return self._header

    def batch_rows(
        self,
        values: Sequence[str],
        *,
        max_usages: int,
        film: Film | None,
        batch_id: int | None,
        created_at: datetime,
    ) -> str:
        """The rows of codes made together: same max usages, film, batch and creation time."""
        if not values:
            return ""
        if not all(map(CODE_RE.fullmatch, values)):
            return "".join(self._row(value, max_usages, film, batch_id, created_at) for value in values)
        rest = self._row(values[0], max_usages, film, batch_id, created_at)[len(values[0]) :]
        return rest.join(values) + rest

    def rows(self, rows: Iterable[tuple[str, int, int | None, int | None, datetime]]) -> str:
        """Rows from ``(value, max_usages, valid_for_id, batch_id, created_at)`` tuples, in order."""
        return "".join(
            self.batch_rows(
                [row[0] for row in group],
                max_usages=max_usages,
                film=self._film(film_id),
                batch_id=batch_id,
                created_at=created_at,
            )
            for (max_usages, film_id, batch_id, created_at), group in groupby(rows, key=itemgetter(slice(1, None)))
        )

    def _film(self, film_id: int | None) -> Film | None:
        if film_id is None:
            return None
        if film_id not in self._films:
            self._films[film_id] = Film.objects.only("slug").get(pk=film_id)
        return self._films[film_id]

    def _row(self, value, max_usages, film, batch_id, created_at) -> str:
        code = AccessCode(value=value, max_usages=max_usages, valid_for=film, batch_id=batch_id, created_at=created_at)
        dataset = tablib.Dataset(headers=self._headers)
        dataset.append(self.resource.export_resource(code))
        return self.format.export_data(dataset)[len(self._header) :]
