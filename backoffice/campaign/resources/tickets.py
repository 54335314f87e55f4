"""Ticket stock from the cinema chain: thousands of codes per file, each one new."""

from django.core.exceptions import ValidationError
from import_export.fields import Field

from backoffice.campaign.models import Film, Ticket
from backoffice.campaign.resources.base import SpreadsheetResource
from backoffice.campaign.resources.widgets import NaturalKeyWidget, cell_text

#: Codes looked up per query when checking a file against stock (well inside SQLite's parameter limit).
LOOKUP_CHUNK = 2000


class TicketResource(SpreadsheetResource):
    """Adds tickets; a code already in stock, or twice in the file, is an error on its row.

    Built for big files: films are read once (NaturalKeyWidget), the whole file is checked
    against stock in a few queries (``before_import``), rows are validated without queries and
    written with ``bulk_create``. The admin's dry run and its transaction mean nothing is kept
    unless every row is good and the staff member confirms.
    """

    film = Field(attribute="film", column_name="film", widget=NaturalKeyWidget(Film))
    reservation = Field(attribute="reservation__reservation_id", column_name="reservation", readonly=True)

    required_columns = ["code", "film"]

    class Meta:
        model = Ticket
        name = "Tickets"
        fields = ["code", "film", "reservation"]
        import_id_fields = ["code"]
        # Every row is a new ticket (a known code is an error), so no per-row lookup.
        force_init_instance = True
        clean_model_instances = True
        use_bulk = True
        batch_size = 2000
        # No per-row copy and HTML diff of the instance (half the preview's time on a big file);
        # after_import_row shows the row's cells instead, which for new rows is the same thing.
        skip_diff = True

    def before_import(self, dataset, **kwargs) -> None:
        super().before_import(dataset, **kwargs)
        self._first_row_of_code: dict[str, int] = {}
        self._in_stock: dict[str, str] = {}
        codes = [cell_text(value) for value in dataset["code"]] if len(dataset) else []
        for number, code in enumerate(codes, 1):  # numbered as the import numbers its rows
            if code:
                self._first_row_of_code.setdefault(code, number)
        wanted = list(self._first_row_of_code)
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            self._in_stock.update(Ticket.objects.filter(code__in=chunk).values_list("code", "film__name"))

    def import_instance(self, instance, row, **kwargs) -> None:
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        code = instance.code
        if code and "code" not in errors:
            first = self._first_row_of_code.get(code)
            if first is not None and first != kwargs.get("row_number", first):
                # +1: staff count the header as row 1, as their spreadsheet does.
                errors["code"] = [f'Code "{code}" is also on row {first + 1}; each ticket code can appear only once.']
            elif code in self._in_stock:
                errors["code"] = [f'Code "{code}" is already in stock (film: {self._in_stock[code]}).']
        if errors:
            raise ValidationError(errors)

    def after_import_row(self, row, row_result, **kwargs) -> None:
        row_result.diff = [cell_text(row.get(f.column_name)) for f in self.get_import_fields()]

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True) -> None:
        # full_clean would cost two queries a row (the unique code, the film's existence); both
        # are already settled for the whole file, so only the field rules are checked here.
        errors = dict(import_validation_errors or {})
        try:
            instance.clean_fields(exclude=[*errors, "film", "reservation"])
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        self.raise_row_errors(errors)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("film", "reservation")
