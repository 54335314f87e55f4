"""A seasonal theme for the admin, so every environment looks the same from the first login."""

from django.db import migrations

THEME = {
    "name": "Xmas Films",
    "active": True,
    "title": "Xmas Films back office",
    "title_visible": True,
    "env_name": "",
    "env_visible_in_header": False,
    "logo_visible": False,  # the title says whose back office this is; no framework logo
    "css_header_background_color": "#7A1421",
    "css_header_text_color": "#FFF8EC",
    "css_header_link_color": "#FFF8EC",
    "css_header_link_hover_color": "#F4D58D",
    "css_module_background_color": "#1F4D3A",
    "css_module_background_selected_color": "#FFF3DA",
    "css_module_text_color": "#FFFFFF",
    "css_module_link_color": "#FFFFFF",
    "css_module_link_selected_color": "#FFFFFF",
    "css_module_link_hover_color": "#F4D58D",
    "css_generic_link_color": "#1F4D3A",
    "css_generic_link_hover_color": "#7A1421",
    "css_save_button_background_color": "#1F4D3A",
    "css_save_button_background_hover_color": "#163829",
    "css_save_button_text_color": "#FFFFFF",
    "list_filter_dropdown": True,
    "list_filter_sticky": True,
    "list_filter_highlight": True,
    "language_chooser_active": False,
    "related_modal_active": False,  # modals are iframes, and X_FRAME_OPTIONS is DENY
    "recent_actions_visible": True,
    "form_submit_sticky": True,
}


def add_theme(apps, schema_editor):
    Theme = apps.get_model("admin_interface", "Theme")
    Theme.objects.update(active=False)
    Theme.objects.update_or_create(name=THEME["name"], defaults=THEME)


def remove_theme(apps, schema_editor):
    apps.get_model("admin_interface", "Theme").objects.filter(name=THEME["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0001_initial"),
        ("admin_interface", "0032_alter_theme_defaults"),
    ]

    operations = [migrations.RunPython(add_theme, remove_theme)]
