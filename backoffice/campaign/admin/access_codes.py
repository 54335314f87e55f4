from django.contrib import admin

from backoffice.campaign.models import AccessCode, AccessCodeBatch


@admin.register(AccessCode)
class AccessCodeAdmin(admin.ModelAdmin):
    list_display = ["value", "max_usages", "valid_for", "batch", "created_at"]
    list_filter = ["valid_for", "max_usages"]
    list_select_related = ["valid_for", "batch"]
    search_fields = ["value"]
    autocomplete_fields = ["valid_for"]
    readonly_fields = ["created_at", "batch"]
    # Counting a million codes on every page view buys nothing; the paginator still counts.
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        # Codes are stored upper-case; a prefix match uses the unique index, a substring scan would not.
        term = search_term.strip().upper()
        if not term:
            return queryset, False
        return queryset.filter(value__startswith=term), False


@admin.register(AccessCodeBatch)
class AccessCodeBatchAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "created_at",
        "status",
        "requested_count",
        "created_count",
        "film",
        "max_usages",
        "source",
        "created_by",
    ]
    list_filter = ["status", "source", "film"]
    list_select_related = ["film", "created_by"]
    readonly_fields = [f.name for f in AccessCodeBatch._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # batches are made by generating codes, never typed in
