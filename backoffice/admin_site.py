"""The admin site: Django's, with the campaign at a glance on its front page, one page of running
and recent background runs, autocomplete labels a model's admin may word for itself, a second
factor for staff who hold secrets (``backoffice.second_factor``), and the login lockouts and
second-factor devices under one menu heading.

Installed in place of ``django.contrib.admin`` (``CampaignAdminConfig``), so ``admin.site`` and
``@admin.register`` work as usual. Kept free of model imports: it loads before the apps are ready.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.shortcuts import redirect
from django.urls import path, reverse


class AutocompleteView(AutocompleteJsonView):
    """Label each result with the target admin's ``autocomplete_label(obj)``, and order the results
    with its ``autocomplete_ordering(queryset)``, when it has them."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if order := getattr(self.model_admin, "autocomplete_ordering", None):
            return order(queryset)
        return queryset

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if label := getattr(self.model_admin, "autocomplete_label", None):
            result["text"] = label(obj)
        return result


# Login lockouts (django-axes) and second-factor devices (django-otp) are one subject for the
# superuser who unlocks a colleague or resets a lost phone: the menus show them under one heading.
LOGIN_SECURITY_APPS = frozenset({"axes", "otp_totp", "otp_static"})
LOGIN_SECURITY_HEADING = "Staff login security"


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
        from backoffice.second_factor import otp_logout, otp_setup

        # Not wrapped in admin_view: the pages a password alone may open.
        setup = path("otp/setup/", lambda request: otp_setup(request, self), name="otp_setup")
        leave = path("otp/logout/", lambda request: otp_logout(request, self), name="otp_logout")
        runs = path("runs/", self.admin_view(self.runs_view), name="runs")
        return [setup, leave, runs, *dashboard_urls(self), *super().get_urls()]

    def runs_view(self, request):
        from backoffice.campaign.admin.runs import runs_view

        return runs_view(request, self)

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        security = [app for app in app_list if app["app_label"] in LOGIN_SECURITY_APPS]
        if app_label is not None or not security:
            return app_list
        models = sorted((model for app in security for model in app["models"]), key=lambda model: model["name"])
        grouped = {**security[0], "name": LOGIN_SECURITY_HEADING, "models": models}
        others = [app for app in app_list if app["app_label"] not in LOGIN_SECURITY_APPS]
        return sorted([*others, grouped], key=lambda app: app["name"].lower())

    def autocomplete_view(self, request):
        return AutocompleteView.as_view(admin_site=self)(request)


class CampaignAdminConfig(AdminConfig):
    default_site = "backoffice.admin_site.CampaignAdminSite"
