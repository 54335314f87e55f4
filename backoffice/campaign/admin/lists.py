"""Change lists that stay quick on the campaign's biggest tables (a million codes, 100,000 bookings).

Left to its defaults, the admin reads a whole table on every page view: the paginator counts
every row, field filters run ``SELECT DISTINCT`` over the column, and the date drill-down runs
the list's search twice more. The pieces here do the same jobs from indexes and fixed values.
"""

import datetime as dt

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """Counts the rows up to ``cap`` and no further.

    Paging, "next" and the pickers' "more results" work as usual within the first ``cap`` rows;
    past them staff search or filter instead. ``capped`` tells the templates to say "more than".
    """

    cap = 10_000
    capped = False

    @cached_property
    def count(self) -> int:
        # Unordered: which rows are counted does not matter, and a join or filter then need
        # not walk the list's order index discarding rows until it has found enough.
        counted = self.object_list.order_by()[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)


class FixedChoicesFilter(admin.SimpleListFilter):
    """A filter whose choices are written here rather than read from the table on every page.

    ``options`` maps each parameter value to its label and the condition it selects.
    """

    options: dict[str, tuple[str, Q]]

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in self.options.items()]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in self.options:
            raise IncorrectLookupParameters(f"Unknown {self.title}: {value}")
        return queryset.filter(self.options[value][1])

    def get_facet_counts(self, pk_attname, filtered_qs):
        # Each choice counted by its own condition, in one pass over the rows. The default says
        # "pk IN (the filtered rows)" per choice, which PostgreSQL cannot hash on a big table
        # and answers by reading the subquery again for every row.
        return {
            f"{i}__c": Count(pk_attname, filter=condition) for i, (_, condition) in enumerate(self.options.values())
        }


class GroupedCountsRelatedFilter(admin.RelatedFieldListFilter):
    """A relation's filter whose counts ("with counts") come from one grouped query.

    Django's counts each choice with a filtered COUNT of its own: a thousand cinemas make a
    thousand aggregates over every screening. Grouping by the column counts every choice in
    one pass, with the same figures.
    """

    def get_facet_queryset(self, changelist):
        filtered = changelist.get_queryset(self.request, exclude_parameters=self.expected_parameters())
        grouped = filtered.order_by().values_list(self.field_path).annotate(n=Count("pk"))
        counts = dict(grouped.values_list(self.field_path, "n"))
        facets = {f"{pk}__c": counts.get(pk, 0) for pk, _ in self.lookup_choices}
        if self.include_empty_choice:
            facets["__c"] = counts.get(None, 0)
        return facets


class SpannedDatetimesMixin:
    """``datetimes()`` for a date drill-down: every year, month or day from the first row's to the
    last row's, both read from the date's index, instead of ``SELECT DISTINCT`` over every row
    (which sorts a million rows for a month of bookings). A period between them without rows is
    listed too and shows an empty page; in a campaign that books every day there are none."""

    def aggregate(self, *args, **kwargs):
        # The drill-down asks for the first and last dates itself before it asks for the
        # periods (at its top level): kept, so datetimes() need not read them a second time.
        result = super().aggregate(*args, **kwargs)
        if not args and set(kwargs) == {"first", "last"} and isinstance(kwargs["first"], Min):
            self._span = (getattr(kwargs["first"].get_source_expressions()[0], "name", None), result)
        return result

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        known = getattr(self, "_span", None)
        if known is not None and known[0] == field_name:
            span = known[1]
        else:
            span = self.aggregate(first=Min(field_name), last=Max(field_name))
        if span["first"] is None:
            return []
        zone = tzinfo or timezone.get_current_timezone()
        first, last = (timezone.localtime(span[end], zone).date() for end in ("first", "last"))
        day = first.replace(month=1, day=1) if kind == "year" else first.replace(day=1) if kind == "month" else first
        periods = []
        while day <= last:
            periods.append(timezone.make_aware(dt.datetime.combine(day, dt.time()), zone))
            if kind == "year":
                day = day.replace(year=day.year + 1)
            elif kind == "month":
                day = (day + dt.timedelta(days=32)).replace(day=1)
            else:
                day += dt.timedelta(days=1)
        return periods if order == "ASC" else periods[::-1]


def with_spanned_datetimes(queryset: QuerySet) -> QuerySet:
    """The queryset, its ``datetimes()`` answered by SpannedDatetimesMixin (and its clones' too)."""
    spanned = queryset._chain()
    base = type(queryset)
    spanned.__class__ = type(f"Spanned{base.__name__}", (SpannedDatetimesMixin, base), {})
    return spanned


class LargeTableChangeList(ChangeList):
    """A change list for tables of a hundred thousand rows and more.

    Relations named in the admin's ``list_prefetch_related`` are read for the page's rows only,
    by primary key, instead of being joined to every row a deep page skips on its way.
    The date drill-down is left out while a search is shown: its links come from two more
    queries over the searched rows (first and last dates, then every distinct month or day),
    which would run the search three times. Without a search its links come from the first
    and last dates alone (SpannedDatetimesMixin).
    """

    def __init__(self, request, model, *args, **kwargs) -> None:
        super().__init__(request, model, *args, **kwargs)
        if self.query:
            self.date_hierarchy = None

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        queryset = queryset.prefetch_related(*getattr(self.model_admin, "list_prefetch_related", ()))
        return with_spanned_datetimes(queryset) if self.date_hierarchy else queryset
