"""Managers that guard writes which must respect rows other than their own."""

from django.db import models


class ReservationManager(models.Manager):
    pass
