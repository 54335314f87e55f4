"""Staff roles as groups, each with the least permissions its work needs (docs/operations.md)."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

BOOKING_AGENT = "Booking agent"
CAMPAIGN_MANAGER = "Campaign manager"
DATA_MANAGER = "Data manager"

# Codenames in the campaign app. Written out here rather than imported: a migration keeps the
# roles as they were when it ran; later changes to a role get a migration of their own.
ROLES = {
    # Books and changes reservations for customers; sees the screenings, tickets and emails that
    # go with them. No access codes: the customer reads theirs out and the agent types it.
    BOOKING_AGENT: [
        "view_reservation",
        "add_reservation",
        "change_reservation",
        "view_screening",
        "view_ticket",
        "view_email",
    ],
    # Spreadsheet imports and exports, access codes, and customers' data rights (a copy of what is
    # held, erasure), which rest on exports.
    DATA_MANAGER: [
        *(f"view_{model}" for model in ("cinema", "film", "screening", "ticket", "reservation", "dataexchangelog")),
        *(f"import_{model}" for model in ("cinema", "film", "screening", "ticket")),
        *(f"export_{model}" for model in ("cinema", "film", "screening", "ticket", "reservation")),
        "view_accesscode",
        "add_accesscode",
        "export_accesscode",
        "view_accesscodebatch",
        "export_accesscodebatch",
        "erase_reservation",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are otherwise created after all migrations ran; the groups need them now.
    campaign_app = global_apps.get_app_config("campaign")
    create_permissions(campaign_app, verbosity=0, apps=apps, using=schema_editor.connection.alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    campaign = Permission.objects.filter(content_type__app_label="campaign")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = list(campaign.filter(codename__in=codenames))
        if len(permissions) != len(codenames):
            raise RuntimeError(f"{name}: no permission {set(codenames) - {p.codename for p in permissions}}")
        group.permissions.set(permissions)
    # Runs the campaign: every permission of the campaign app, none over staff accounts.
    Group.objects.get_or_create(name=CAMPAIGN_MANAGER)[0].permissions.set(campaign)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[*ROLES, CAMPAIGN_MANAGER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("campaign", "0012_access_code_batch_runs"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="reservation",
            options={
                "ordering": ["-created_at", "-pk"],
                "permissions": [
                    ("export_reservation", "Can export reservations"),
                    ("erase_reservation", "Can erase customers' personal data"),
                ],
            },
        ),
        migrations.RunPython(create_roles, remove_roles),
    ]
