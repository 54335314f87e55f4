# Indexes that keep the admin's lists quick at ten times a campaign (docs/admin.md): a film's
# access codes, a whole email address, names and emails searched by part, screenings in their
# order, a film's held, void and unheld tickets, and the codes active bookings use. The trigram
# indexes are PostgreSQL's alone, and need its pg_trgm extension (part of every PostgreSQL
# package's contrib, and of Debian's server package): on SQLite, or a server built without it,
# they are left out and searches read the table as before. And each screening's seats
# reserved, kept by triggers.

from django.db import migrations, models
from django.db.models.functions import Upper

# UPPER(column): the expression the admin's search compares (name__icontains, email__icontains).
TRIGRAM_INDEXES = {"reservation_name_trgm": "name", "reservation_email_trgm": "email"}


def trigram_available(connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        return cursor.fetchone() is not None


def create_trigram_indexes(apps, schema_editor):
    if trigram_available(schema_editor.connection):
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in TRIGRAM_INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX {name} ON campaign_reservation USING gin ((UPPER({column}::text)) gin_trgm_ops)"
            )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in TRIGRAM_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


# A screening's reserved_seats is the sum of its reservations' quantities, whatever writes them
# (a booking, a move, a bulk cancel, a factory in a test): one row's change moves the count of
# the screening it leaves and of the one it joins, in the same transaction. A booking already
# holds those screenings' row locks (services/reservations.py), so the count is exact under them.
# SQLite: a later migration that remakes campaign_reservation drops these triggers with the old
# table and must create them again (test_reserved_seats.py checks that they are there).
POSTGRESQL_SEATS = [
    """
    CREATE FUNCTION campaign_reservation_seats() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.quantity <> 0 THEN
            UPDATE campaign_screening SET reserved_seats = reserved_seats - OLD.quantity WHERE id = OLD.screening_id;
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.quantity <> 0 THEN
            UPDATE campaign_screening SET reserved_seats = reserved_seats + NEW.quantity WHERE id = NEW.screening_id;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER campaign_reservation_seats_write AFTER INSERT OR DELETE ON campaign_reservation
    FOR EACH ROW EXECUTE FUNCTION campaign_reservation_seats()
    """,
    """
    CREATE TRIGGER campaign_reservation_seats_change AFTER UPDATE OF quantity, screening_id ON campaign_reservation
    FOR EACH ROW WHEN (OLD.quantity IS DISTINCT FROM NEW.quantity OR OLD.screening_id IS DISTINCT FROM NEW.screening_id)
    EXECUTE FUNCTION campaign_reservation_seats()
    """,
]
POSTGRESQL_SEATS_UNDO = [
    "DROP TRIGGER IF EXISTS campaign_reservation_seats_change ON campaign_reservation",
    "DROP TRIGGER IF EXISTS campaign_reservation_seats_write ON campaign_reservation",
    "DROP FUNCTION IF EXISTS campaign_reservation_seats()",
]
SQLITE_SEATS = [
    """
    CREATE TRIGGER campaign_reservation_seats_insert AFTER INSERT ON campaign_reservation BEGIN
        UPDATE campaign_screening SET reserved_seats = reserved_seats + NEW.quantity WHERE id = NEW.screening_id;
    END
    """,
    """
    CREATE TRIGGER campaign_reservation_seats_delete AFTER DELETE ON campaign_reservation BEGIN
        UPDATE campaign_screening SET reserved_seats = reserved_seats - OLD.quantity WHERE id = OLD.screening_id;
    END
    """,
    """
    CREATE TRIGGER campaign_reservation_seats_update AFTER UPDATE OF quantity, screening_id ON campaign_reservation
    WHEN OLD.quantity IS NOT NEW.quantity OR OLD.screening_id IS NOT NEW.screening_id BEGIN
        UPDATE campaign_screening SET reserved_seats = reserved_seats - OLD.quantity WHERE id = OLD.screening_id;
        UPDATE campaign_screening SET reserved_seats = reserved_seats + NEW.quantity WHERE id = NEW.screening_id;
    END
    """,
]
SQLITE_SEATS_UNDO = [
    f"DROP TRIGGER IF EXISTS campaign_reservation_seats_{event}" for event in ("insert", "delete", "update")
]
COUNT_SEATS = """
    UPDATE campaign_screening SET reserved_seats = COALESCE(
        (SELECT SUM(quantity) FROM campaign_reservation WHERE screening_id = campaign_screening.id), 0
    )
"""


def create_seat_triggers(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for statement in [*(POSTGRESQL_SEATS if postgresql else SQLITE_SEATS), COUNT_SEATS]:
        schema_editor.execute(statement)


def drop_seat_triggers(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRESQL_SEATS_UNDO if postgresql else SQLITE_SEATS_UNDO:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0024_screening_short_code"),
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
        migrations.AddField(
            model_name="screening",
            name="reserved_seats",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(create_seat_triggers, drop_seat_triggers, elidable=False),
        migrations.AddIndex(
            model_name="screening",
            index=models.Index(fields=["starts_at", "id"], name="screening_start"),
        ),
        migrations.AddIndex(
            model_name="screening",
            index=models.Index(
                condition=models.Q(("cancelled_at__isnull", True)),
                fields=["film", "starts_at"],
                include=("capacity", "reserved_seats"),
                name="screening_open_by_film",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("reservation__isnull", False)), fields=["film"], name="ticket_held_by_film"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("issued_at__isnull", False), ("reservation__isnull", True)),
                fields=["film", "code"],
                name="ticket_void_by_film",
            ),
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
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
