from django.apps import AppConfig


class CampaignConfig(AppConfig):
    name = "backoffice.campaign"
    label = "campaign"
    verbose_name = "Christmas film campaign"
