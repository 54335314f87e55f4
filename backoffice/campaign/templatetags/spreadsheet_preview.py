"""Template filters for the spreadsheet import preview."""

import html

from django import template
from django.utils.html import strip_tags

register = template.Library()


@register.filter
def plain_text(value) -> str:
    """A preview cell's diff markup as the text it shows, for its hover title (escaped again there)."""
    return html.unescape(strip_tags(str(value))).replace("¶", "").strip()
