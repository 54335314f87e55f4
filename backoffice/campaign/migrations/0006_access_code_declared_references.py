"""Access codes drop the triggers of migration 0005: the film becomes a declared foreign key.

The batch stays without a database constraint (see ``AccessCode.batch``); Django's
``on_delete=PROTECT`` still guards it.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

# A module name starting with a digit cannot be imported with "import".
statement_references = import_module("backoffice.campaign.migrations.0005_access_code_statement_references")


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0005_access_code_statement_references"),
    ]

    operations = [
        # First: on SQLite the AlterField below rebuilds the table, which takes its triggers with it.
        migrations.RunPython(statement_references.drop_references, statement_references.create_references),
        migrations.AlterField(
            model_name="accesscode",
            name="valid_for",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="Empty: valid for any film.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="access_codes",
                to="campaign.film",
            ),
        ),
    ]
