import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0007_reservation_one_active_per_email"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesscodebatch",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, db_default=django.db.models.functions.datetime.Now()),
        ),
    ]
