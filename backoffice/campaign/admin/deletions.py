"""Delete confirmations that count what goes with an object, never list it.

Django's admin collects every related row to list it on the confirmation: for a batch of
300,000 codes that is every code (secrets) on one page, seconds of work and hundreds of
megabytes. Here each relation is counted with one query instead, so the page is the same size
and speed whatever the object holds.
"""

from django.db import models
from django.utils.text import capfirst

#: Objects named on a confirmation of "Delete selected"; the rest are counted.
NAMED = 20


class CountedDeletionMixin:
    """``get_deleted_objects`` by counts: rows that block the deletion (PROTECT) and rows that
    go with it (CASCADE), one query per relation; rows that are only unlinked are not shown.

    ``deletion_hints`` says, per related model's verbose name (plural), what to do instead.
    """

    deletion_hints: dict[str, str] = {
        "reservations": "bookings are never deleted; cancel them or move them to another screening first",
    }

    def get_deleted_objects(self, objs, request):
        opts = self.model._meta
        # One object from its delete page, or the selected rows (a queryset) from "Delete selected".
        named = list(objs[: NAMED + 1])
        deleted = [f"{capfirst(opts.verbose_name)}: {obj}" for obj in named[:NAMED]]
        total = len(objs) if isinstance(objs, list) else objs.count()
        if total > NAMED:
            deleted.append(f"and {total - NAMED:,} more {opts.verbose_name_plural}")
        model_count = {opts.verbose_name_plural: total}
        protected, perms_needed = [], set()
        for relation in opts.related_objects:
            on_delete = relation.on_delete
            if on_delete not in (models.PROTECT, models.RESTRICT, models.CASCADE):
                continue
            related = relation.related_model._meta
            count = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": objs}).count()
            if not count:
                continue
            label = related.verbose_name_plural if count != 1 else related.verbose_name
            if on_delete is models.CASCADE:
                model_count[related.verbose_name_plural] = count
                deleted.append(f"{count:,} {label}")
                if not request.user.has_perm(f"{related.app_label}.delete_{related.model_name}"):
                    perms_needed.add(related.verbose_name)
            else:
                hint = self.deletion_hints.get(related.verbose_name_plural, "delete or change them first")
                protected.append(f"{count:,} {label} refer{'s' if count == 1 else ''} to it: {hint}.")
        return deleted, model_count, perms_needed, protected
