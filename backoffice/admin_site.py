"""The admin site: Django's, with autocomplete labels a model's admin may word for itself.

Installed in place of ``django.contrib.admin`` (``CampaignAdminConfig``), so ``admin.site`` and
``@admin.register`` work as usual. Kept free of model imports: it loads before the apps are ready.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView


class AutocompleteView(AutocompleteJsonView):
    """Label each result with the target admin's ``autocomplete_label(obj)`` when it has one."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if label := getattr(self.model_admin, "autocomplete_label", None):
            result["text"] = label(obj)
        return result


class CampaignAdminSite(admin.AdminSite):
    site_header = "Xmas Films back office"
    site_title = "Xmas Films"
    index_title = "Campaign"

    def autocomplete_view(self, request):
        return AutocompleteView.as_view(admin_site=self)(request)


class CampaignAdminConfig(AdminConfig):
    default_site = "backoffice.admin_site.CampaignAdminSite"
