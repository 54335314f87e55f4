"""The public, read-only API."""

urlpatterns: list = []
