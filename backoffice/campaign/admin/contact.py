"""The campaign contact and privacy notice in the admin: one form, opened straight from the menu."""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html_join

from backoffice.campaign.models import CampaignContact


@admin.register(CampaignContact)
class CampaignContactAdmin(admin.ModelAdmin):
    fieldsets = [
        ("How the public books", {"fields": ["phone", "email", "opening_hours", "text"]}),
        ("Privacy notice", {"fields": ["privacy_notice", "standard_privacy_notice"]}),
    ]
    readonly_fields = ["standard_privacy_notice"]

    @admin.display(description="standard notice")
    def standard_privacy_notice(self, contact: CampaignContact) -> str:
        # Shown so staff can start their own from it; it follows the contact and the retention setting.
        paragraphs = contact.standard_privacy_notice().split("\n\n")
        return format_html_join("", "<p>{}</p>", ((paragraph,) for paragraph in paragraphs))

    def changelist_view(self, request, extra_context=None):
        # A list of one row is a detour: the menu entry opens the form.
        return HttpResponseRedirect(
            reverse("admin:campaign_campaigncontact_change", args=[CampaignContact.SINGLETON_ID])
        )

    def get_object(self, request, object_id, from_field=None):
        # Before staff first save it the row does not exist yet: edit an empty one, saved on submit.
        if str(object_id) == str(CampaignContact.SINGLETON_ID):
            return CampaignContact.load()
        return None

    def has_add_permission(self, request) -> bool:
        return False  # there is one contact, edited in place

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
