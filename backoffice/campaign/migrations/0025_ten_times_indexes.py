# Indexes that keep the admin's lists quick at ten times a campaign (docs/admin.md): a film's
# access codes, a whole email address, names and emails searched by part, screenings in their
# order, a film's tickets no booking holds, and the codes active bookings use. The trigram
# indexes are PostgreSQL's alone: on SQLite the extension and they are skipped, and searches
# read the table as before.

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models
from django.db.models.functions import Upper

# UPPER(column): the expression the admin's search compares (name__icontains, email__icontains).
TRIGRAM_INDEXES = {"reservation_name_trgm": "name", "reservation_email_trgm": "email"}


class PostgresTrigramExtension(TrigramExtension):
    """pg_trgm on PostgreSQL; nothing on SQLite either way (Django's own asks SQLite for
    pg_extension when unapplied)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, column in TRIGRAM_INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX {name} ON campaign_reservation USING gin ((UPPER({column}::text)) gin_trgm_ops)"
            )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0023_reservation_reference"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="accesscode",
            index=models.Index(
                condition=models.Q(("valid_for__isnull", False)),
                fields=["valid_for", "id"],
                name="access_code_valid_for",
            ),
        ),
        migrations.AddIndex(
            model_name="reservation",
            index=models.Index(Upper("email"), name="reservation_email_upper"),
        ),
        migrations.AddIndex(
            model_name="screening",
            index=models.Index(fields=["starts_at", "id"], name="screening_start"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("reservation__isnull", True)), fields=["film", "code"], name="ticket_unheld_by_film"
            ),
        ),
        migrations.AddIndex(
            model_name="reservation",
            index=models.Index(
                condition=models.Q(("quantity__gt", 0)), fields=["access_code"], name="reservation_active_code"
            ),
        ),
        PostgresTrigramExtension(),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
