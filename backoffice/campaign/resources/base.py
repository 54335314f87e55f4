"""What every campaign spreadsheet has in common, on top of django-import-export's ModelResource."""

from django.core.exceptions import ValidationError
from import_export import resources
from import_export.results import RowResult

from backoffice.campaign.resources.widgets import (
    DecimalNumberWidget,
    NaturalKeyWidget,
    TrimmedTextWidget,
    WholeNumberWidget,
    cell_text,
)


def import_counts(*, new: int, update: int, skip: int, past: int | None = None) -> str:
    """An import's rows in the preview's words: "3 new, 1 updated, 40 unchanged or empty", then
    ", 196 in the past, skipped" when the import left out rows in the past (counted in ``skip``)."""
    text = f"{new:,} new, {update:,} updated, {skip - (past or 0):,} unchanged or empty"
    if past is not None:
        text += f", {past:,} in the past, skipped"
    return text


def result_counts(result) -> str:
    """``import_counts`` of an import's result (django-import-export's ``Result``)."""
    totals = result.totals
    return import_counts(
        new=totals["new"], update=totals["update"], skip=totals["skip"], past=getattr(result, "past_rows", None)
    )


class SpreadsheetResource(resources.ModelResource):
    """A model as staff see it in a spreadsheet.

    - Column headers are matched without regard to case or surrounding spaces; the preview names
      the columns the import does not know, which it ignores. Export-only columns (``readonly``)
      are known, and ignored on import.
    - A file missing a column the import cannot do without is refused as a whole, with one
      message naming the columns, instead of one error per row.
    - Rows that are entirely empty (spreadsheets leave them behind) are skipped, and so are the
      rows an import option leaves out (``left_out``); the latter are counted, not previewed.
    - Each row is checked with the model's ``full_clean`` when ``clean_model_instances`` is on,
      so the rules of the admin forms (and ``Model.clean``) hold for files too.
    - Updates save only the imported columns (``update_fields``).
    """

    # Text cells are trimmed, and an empty cell is empty text, never NULL (XLSX gives None).
    # Numbers that do not parse are errors on their cell, not crashes of the row.
    WIDGETS_MAP = {
        **resources.ModelResource.WIDGETS_MAP,
        "CharField": TrimmedTextWidget,
        "SlugField": TrimmedTextWidget,
        "TextField": TrimmedTextWidget,
        "FloatField": DecimalNumberWidget,
        **dict.fromkeys(
            [
                "IntegerField",
                "PositiveIntegerField",
                "PositiveSmallIntegerField",
                "SmallIntegerField",
                "BigIntegerField",
            ],
            WholeNumberWidget,
        ),
    }

    #: Columns a file must have; a tuple inside the list means "one of these".
    required_columns: list[str | tuple[str, ...]] = []
    #: Model fields left out of ``full_clean`` (derived fields the model fills in on save).
    clean_exclude: tuple[str, ...] = ()
    #: Called with each row's number before it is read; a background run's heartbeat (services/data_runs.py).
    row_progress = None

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._import_fields = None
        self.ignored_columns: list[str] = []
        self.left_out_rows: list[RowResult] = []

    def before_import(self, dataset, **kwargs) -> None:
        for field in self.fields.values():
            if isinstance(field.widget, NaturalKeyWidget):
                field.widget.reset()
        if dataset.headers:
            dataset.headers = [cell_text(header) for header in dataset.headers]
        known = {field.column_name for field in self.get_export_fields()}
        # A misspelt column (release_date for release_year) would otherwise vanish without a word.
        self.ignored_columns = [h for h in dataset.headers or () if h and h.lower() not in known]
        if dataset.headers:
            dataset.headers = [header.lower() for header in dataset.headers]
        headers = set(dataset.headers or ())
        missing = [
            " or ".join(column) if isinstance(column, tuple) else column
            for column in self.required_columns
            if not headers.intersection(column if isinstance(column, tuple) else (column,))
        ]
        if missing:
            # Without these columns every row would fail the same way; drop the rows and say it once.
            del dataset[0 : len(dataset)]
            found = ", ".join(h for h in dataset.headers or () if h) or "none"
            raise ValueError(
                f"The file has no {', '.join(missing)} column. Its columns are: {found}. "
                f"Expected: {', '.join(f.column_name for f in self.get_import_fields())}."
            )

    def after_import(self, dataset, result, **kwargs) -> None:
        super().after_import(dataset, result, **kwargs)
        # For the preview: what the file had that this import does not read, and what it reads.
        result.ignored_columns = self.ignored_columns
        result.import_columns = [field.column_name for field in self.get_import_fields()]
        # Counted in the totals' "skip"; a preview line each would only repeat the count.
        left_out = {id(row_result) for row_result in self.left_out_rows}
        result.rows = [row_result for row_result in result.rows if id(row_result) not in left_out]
        self.left_out_rows = []

    def get_import_fields(self):
        # Export-only columns (readonly) are neither imported nor shown as importable. Asked for
        # several times a row, and the fields never change during an import: work it out once.
        if self._import_fields is None:
            self._import_fields = [field for field in super().get_import_fields() if not field.readonly]
        return self._import_fields

    def import_row(self, row, instance_loader, **kwargs):
        if self.row_progress is not None:
            # Outside the library's per-row error handling: a Cancel here ends the whole import.
            self.row_progress(kwargs.get("row_number", 0))
        if not any(cell_text(value) for value in row.values()):
            return self._skipped_row()
        if self.left_out(row):
            row_result = self._skipped_row()
            self.left_out_rows.append(row_result)
            return row_result
        return super().import_row(row, instance_loader, **kwargs)

    def left_out(self, row) -> bool:
        """Whether an import option leaves this row out (e.g. screenings in the past), unread."""
        return False

    def _skipped_row(self) -> RowResult:
        row_result = self.get_row_result_class()()
        row_result.import_type = RowResult.IMPORT_TYPE_SKIP
        return row_result

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True) -> None:
        errors = dict(import_validation_errors or {})
        if self._meta.clean_model_instances:
            try:
                instance.full_clean(exclude=[*errors, *self.clean_exclude], validate_unique=validate_unique)
            except ValidationError as e:
                errors = e.update_error_dict(errors)
        self.raise_row_errors(errors)

    def raise_row_errors(self, errors: dict) -> None:
        """Raise the row's errors keyed by the file's column names (the model's field names may differ)."""
        if errors:
            columns = {f.attribute: f.column_name for f in self.get_import_fields()}
            raise ValidationError({columns.get(key, key): value for key, value in errors.items()})

    def do_instance_save(self, instance, is_create: bool) -> None:
        if is_create:
            instance.save(force_insert=True)
        else:
            instance.save(update_fields=self.update_fields())

    def update_fields(self) -> list[str]:
        model_fields = {f.name for f in self._meta.model._meta.concrete_fields if not f.primary_key}
        return [f.attribute for f in self.get_import_fields() if f.attribute in model_fields]
