"""Cell conversions shared by the resources: natural keys, London times, yes/no, trimmed text.

Every ``clean`` raises ``ValueError`` with a message a staff member can act on; the resource
turns it into an error on that row and column of the import preview.
"""

import datetime as dt
import math
from decimal import Decimal, InvalidOperation

from django.db import models
from import_export import widgets

from backoffice.campaign.models import LONDON

START_FORMAT = "%Y-%m-%d %H:%M"
START_INPUT_FORMATS = (START_FORMAT, "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")


def cell_text(value) -> str:
    """A cell as trimmed text; spreadsheets hand over numbers for codes and years typed as digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class TrimmedTextWidget(widgets.CharWidget):
    """Text with the stray spaces of a spreadsheet cell removed."""

    def clean(self, value, row=None, **kwargs) -> str:
        return cell_text(value)


class WholeNumberWidget(widgets.IntegerWidget):
    """A count (capacity, minutes); "4.5", "many" or "1e400" are refused, not truncated or crashed on."""

    MAX_DIGITS = 18

    def clean(self, value, row=None, **kwargs) -> int | None:
        text = cell_text(value).replace(",", "")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f'"{text}" is not a whole number.') from None
        if not number.is_finite() or number.adjusted() >= self.MAX_DIGITS or number != number.to_integral_value():
            raise ValueError(f'"{text}" is not a whole number.')
        return int(number)


class DecimalNumberWidget(widgets.FloatWidget):
    """A measurement such as a latitude; text, "nan" and "inf" are refused."""

    def clean(self, value, row=None, **kwargs) -> float | None:
        text = cell_text(value)
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(f'"{text}" is not a number.')
        return number


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """A film or cinema named by its slug or, failing that, its name (any case); exported as the slug.

    The rows are read once per import, so a file of 20,000 tickets costs one query here, not
    20,000. ``reset()`` drops them; resources call it before each import.
    """

    def __init__(self, model: type[models.Model], **kwargs) -> None:
        super().__init__(model, field="slug", **kwargs)
        self.reset()

    def reset(self) -> None:
        self._by_slug: dict[str, models.Model] | None = None
        self._by_name: dict[str, list[models.Model]] = {}

    def _load(self) -> None:
        self._by_slug = {}
        for obj in self.model._default_manager.only("pk", "slug", "name"):
            self._by_slug[obj.slug] = obj
            self._by_name.setdefault(obj.name.casefold(), []).append(obj)

    def clean(self, value, row=None, **kwargs) -> models.Model:
        label = self.model._meta.verbose_name
        text = cell_text(value)
        if not text:
            raise ValueError(f"Enter the {label} (its slug or name).")
        if self._by_slug is None:
            self._load()
        if text in self._by_slug:
            return self._by_slug[text]
        matches = self._by_name.get(text.casefold(), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            slugs = ", ".join(sorted(obj.slug for obj in matches))
            raise ValueError(f'{len(matches)} {label}s are named "{text}"; use the slug instead ({slugs}).')
        raise ValueError(f'No {label} has the slug or name "{text}".')

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else value.slug


class LondonDateTimeWidget(widgets.Widget):
    """A start time as Europe/London wall-clock time, "YYYY-MM-DD HH:MM"."""

    def clean(self, value, row=None, **kwargs) -> dt.datetime | None:
        if isinstance(value, dt.datetime):  # an XLSX date cell
            naive = value.replace(tzinfo=None, second=0, microsecond=0)
        else:
            text = cell_text(value)
            if not text:
                return None
            naive = self._parse(text)
        local = naive.replace(tzinfo=LONDON)
        # A time skipped when the clocks go forward does not survive the round trip through UTC.
        if local.astimezone(dt.UTC).astimezone(LONDON).replace(tzinfo=None) != naive:
            raise ValueError(f"{naive:%Y-%m-%d %H:%M} does not exist in London (the clocks go forward then).")
        return local

    @staticmethod
    def _parse(text: str) -> dt.datetime:
        for fmt in START_INPUT_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
        raise ValueError(
            f'"{text}" is not a start time; write it as YYYY-MM-DD HH:MM in London time, e.g. 2026-12-19 18:30.'
        )

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else value.astimezone(LONDON).strftime(START_FORMAT)


class YesNoWidget(widgets.Widget):
    """A flag written as yes/no, true/false or 1/0; anything else is refused rather than read as "no"."""

    TRUE = {"1", "yes", "y", "true"}
    FALSE = {"0", "no", "n", "false", ""}

    def clean(self, value, row=None, **kwargs) -> bool:
        if isinstance(value, bool):
            return value
        text = cell_text(value).casefold()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f'"{cell_text(value)}" is not yes or no.')

    def render(self, value, obj=None, **kwargs) -> str:
        return "yes" if value else "no"
