"""Change lists that stay quick on the campaign's biggest tables (a million codes, 100,000 bookings).

Left to its defaults, the admin reads a whole table on every page view: the paginator counts
every row, field filters run ``SELECT DISTINCT`` over the column, and the date drill-down runs
the list's search twice more. The pieces here do the same jobs from indexes and fixed values.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db.models import Count, Q
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
        counted = self.object_list[: self.cap + 1].count()
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


class LargeTableChangeList(ChangeList):
    """A change list for tables of a hundred thousand rows and more.

    Relations named in the admin's ``list_prefetch_related`` are read for the page's rows only,
    by primary key, instead of being joined to every row a deep page skips on its way.
    The date drill-down is left out while a search is shown: its links come from two more
    queries over the searched rows (first and last dates, then every distinct month or day),
    which would run the search three times.
    """

    def __init__(self, request, model, *args, **kwargs) -> None:
        super().__init__(request, model, *args, **kwargs)
        if self.query:
            self.date_hierarchy = None

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.prefetch_related(*getattr(self.model_admin, "list_prefetch_related", ()))
