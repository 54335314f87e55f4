"""The admin site: Django's, with autocomplete labels a model's admin may word for itself, and
a second factor for staff who hold secrets (``backoffice.second_factor``).

Installed in place of ``django.contrib.admin`` (``CampaignAdminConfig``), so ``admin.site`` and
``@admin.register`` work as usual. Kept free of model imports: it loads before the apps are ready.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.shortcuts import redirect
from django.urls import path, reverse


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
    index_template = "admin/campaign/index.html"  # the dashboard above the app list
    login_template = "admin/otp_login.html"

    @property
    def login_form(self):
        from backoffice.second_factor import StaffLoginForm

        return StaffLoginForm

    def has_permission(self, request) -> bool:
        # Every admin page (and the autocomplete, password change...) asks this first.
        from backoffice.second_factor import admin_verified

        return super().has_permission(request) and admin_verified(request.user)

    def login(self, request, extra_context=None):
        from backoffice.second_factor import needs_enrolment

        if request.method == "GET" and needs_enrolment(request.user):
            return redirect(reverse("admin:otp_setup", current_app=self.name))
        return super().login(request, extra_context)

    def index(self, request, extra_context=None):
        from backoffice.campaign.admin.dashboard import dashboard_context

        return super().index(request, {**dashboard_context(request), **(extra_context or {})})

    def get_urls(self):
        from backoffice.campaign.admin.dashboard import dashboard_urls
        from backoffice.second_factor import otp_setup

        # Not wrapped in admin_view: it is the one page a password alone may open.
        setup = path("otp/setup/", lambda request: otp_setup(request, self), name="otp_setup")
        return [setup, *dashboard_urls(self), *super().get_urls()]

    def autocomplete_view(self, request):
        return AutocompleteView.as_view(admin_site=self)(request)


class CampaignAdminConfig(AdminConfig):
    default_site = "backoffice.admin_site.CampaignAdminSite"
