import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0006_access_code_declared_references"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesscodebatch",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, db_default=django.db.models.functions.datetime.Now()),
        ),
    ]
