"""Invalidate the API cache whenever a row the API shows (or counts) is saved or deleted."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from backoffice.campaign.api.cache import api_cache_invalidate
from backoffice.campaign.models import CampaignContact, Cinema, Film, Reservation, Screening


def _invalidate_after_commit(sender, using: str, **kwargs) -> None:
    # After commit, not now: a request racing with this transaction would otherwise read the old
    # rows and cache them under the new generation, where they would stay until they expire.
    transaction.on_commit(api_cache_invalidate, using=using)


for _model in (Film, Cinema, Screening, Reservation, CampaignContact):
    for _signal in (post_save, post_delete):
        _signal.connect(_invalidate_after_commit, sender=_model, dispatch_uid=f"api-cache-{_model.__name__}")
