"""Reusable queries over films and screenings."""

from django.db import models
from django.utils import timezone


class FilmQuerySet(models.QuerySet):
    def live(self) -> "FilmQuerySet":
        return self.filter(live=True)


class ScreeningQuerySet(models.QuerySet):
    def upcoming(self) -> "ScreeningQuerySet":
        return self.filter(starts_at__gte=timezone.now())
