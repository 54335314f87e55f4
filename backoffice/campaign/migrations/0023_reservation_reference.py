# The text reference was called reservation_id, the name Ticket and Email use for their key to
# a reservation; renamed so the two can no longer be confused. The column, its unique index and
# the history table's copy are renamed in place: no row is rewritten.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0022_run_attempts"),
    ]

    operations = [
        migrations.RenameField(model_name="reservation", old_name="reservation_id", new_name="reference"),
        migrations.RenameField(model_name="historicalreservation", old_name="reservation_id", new_name="reference"),
    ]
