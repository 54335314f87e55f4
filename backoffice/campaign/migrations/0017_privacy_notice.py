from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0016_data_runs"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaigncontact",
            name="privacy_notice",
            field=models.TextField(
                blank=True,
                help_text="Shown on the public site's Privacy page as plain text; a blank line starts a new paragraph. "
                "Leave empty to show the standard notice below.",
            ),
        ),
    ]
