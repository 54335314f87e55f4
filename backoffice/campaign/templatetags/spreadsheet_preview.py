"""Template filters for the spreadsheet import preview."""

import html

from django import template
from django.utils.html import strip_tags

from backoffice.campaign.resources.base import result_counts

register = template.Library()


@register.filter
def plain_text(value) -> str:
    """A preview cell's diff markup as the text it shows, for its hover title (escaped again there)."""
    return html.unescape(strip_tags(str(value))).replace("¶", "").strip()


@register.filter
def import_totals(result) -> str:
    """The preview's counts of an import result ("3 new, 1 updated, 40 unchanged or empty")."""
    return result_counts(result)
