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
    reservation = Field(attribute="reservation__reference", column_name="reservation", readonly=True)

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
        if code and "code" not in errors and (message := self.code_taken(code, kwargs.get("row_number"))):
            errors["code"] = [message]
        if errors:
            raise ValidationError(errors)

    def code_taken(self, code: str, number: int | None) -> str | None:
        """Why row ``number``'s code cannot be added (earlier in the file, or in stock), or None."""
        first = self._first_row_of_code.get(code)
        if first is not None and number is not None and first != number:
            # +1: staff count the header as row 1, as their spreadsheet does.
            return f'Code "{code}" is also on row {first + 1}; each ticket code can appear only once.'
        if code in self._in_stock:
            return f'Code "{code}" is already in stock (film: {self._in_stock[code]}).'
        return None

    def load(self, dataset, *, dry_run: bool) -> dict:
        """Check every row with the rules above and, unless ``dry_run``, add the tickets.

        The background import's path (services/data_runs.py): the same checks and messages as
        ``import_data``, without its per-row machinery (a model instance, a field-by-field save
        and a result object a row), which for 100,000 codes cost a minute on a busy 2-core
        machine. Writes in the caller's transaction, in ``batch_size`` rows a statement. Returns
        the outcome: counts, and each problem as "Row N, column: message".
        """
        outcome = {"rows": len(dataset), "new": 0, "update": 0, "skip": 0, "errors": [], "error_count": 0}
        try:
            self.before_import(dataset)
        except ValueError as e:
            outcome["errors"].append(str(e))
        outcome["ignored_columns"] = self.ignored_columns
        outcome["import_columns"] = [field.column_name for field in self.get_import_fields()]
        errors = outcome["errors"]
        if errors:
            outcome["error_count"] = len(errors)
            return outcome
        code_field = Ticket._meta.get_field("code")
        film_widget = self.fields["film"].widget
        headers = dataset.headers
        code_at, film_at = headers.index("code"), headers.index("film")
        batch: list[Ticket] = []
        for number, cells in enumerate(dataset, 1):
            if self.row_progress is not None:
                self.row_progress(number)
            if not any(cell_text(cell) for cell in cells):
                outcome["skip"] += 1
                continue
            row_errors = []
            code = cell_text(cells[code_at])
            try:
                code_field.clean(code, None)
            except ValidationError as e:
                row_errors += [f"Row {number + 1}, code: {message}" for message in e.messages]
            else:
                if message := self.code_taken(code, number):
                    row_errors.append(f"Row {number + 1}, code: {message}")
            try:
                film = film_widget.clean(cells[film_at])
            except ValueError as e:
                row_errors.append(f"Row {number + 1}, film: {e}")
            if row_errors:
                errors += row_errors
                continue
            outcome["new"] += 1
            if not dry_run and not errors:
                batch.append(Ticket(code=code, film_id=film.pk))
                if len(batch) == self._meta.batch_size:
                    Ticket.objects.bulk_create(batch)
                    batch = []
        if batch and not errors and not dry_run:
            Ticket.objects.bulk_create(batch)
        outcome["error_count"] = len(errors)
        return outcome

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
