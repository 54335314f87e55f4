from django.apps import AppConfig


class CampaignConfig(AppConfig):
    name = "backoffice.campaign"
    label = "campaign"
    verbose_name = "Christmas film campaign"

    def ready(self) -> None:
        from backoffice.campaign.api import signals  # noqa: F401 - connects the API cache invalidation
