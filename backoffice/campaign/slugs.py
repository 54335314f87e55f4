"""Unique slugs generated from names."""

from django.db import models
from django.utils.text import slugify


def unique_slug(instance: models.Model, source: str, *, field: str = "slug") -> str:
    """Slugify ``source``; on a clash with another row add -2, -3, ... until it is free."""
    max_length = instance._meta.get_field(field).max_length
    base = slugify(source)[:max_length].strip("-") or "item"
    others = type(instance)._default_manager.exclude(pk=instance.pk)
    candidate, n = base, 1
    while others.filter(**{field: candidate}).exists():
        n += 1
        suffix = f"-{n}"
        candidate = f"{base[: max_length - len(suffix)]}{suffix}"
    return candidate
