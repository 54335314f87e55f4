"""The admin's theme (django-admin-interface): set once, so kept out of the everyday menus.

It stays registered, so a superuser still reaches it at /admin/admin_interface/theme/; it is
only left out of the index and the side menu, which staff read all day.
"""

from admin_interface.admin import ThemeAdmin
from admin_interface.models import Theme
from django.contrib import admin

admin.site.unregister(Theme)


@admin.register(Theme)
class UnlistedThemeAdmin(ThemeAdmin):
    def has_module_permission(self, request) -> bool:
        return False
