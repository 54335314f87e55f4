# A short code for each screening, for customers to quote on the phone. Existing screenings are
# given distinct codes here (a default would give every row the same one), then the column
# becomes unique and required; history rows take their screening's code ("" for one deleted).

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

import backoffice.campaign.codes


def codes_backfill(apps, schema_editor):
    Screening = apps.get_model("campaign", "Screening")
    HistoricalScreening = apps.get_model("campaign", "HistoricalScreening")
    screenings = list(Screening.objects.only("pk").order_by("pk"))
    for screening, code in zip(screenings, backoffice.campaign.codes.screening_codes(len(screenings)), strict=True):
        screening.code = code
    Screening.objects.bulk_update(screenings, ["code"], batch_size=1000)
    code_now = Screening.objects.filter(pk=OuterRef("id")).values("code")
    HistoricalScreening.objects.update(code=Coalesce(Subquery(code_now), Value("")))


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0023_reservation_reference"),
    ]

    operations = [
        migrations.AddField(
            model_name="screening",
            name="code",
            field=models.CharField(editable=False, max_length=6, null=True),
        ),
        migrations.AddField(
            model_name="historicalscreening",
            name="code",
            field=models.CharField(editable=False, max_length=6, null=True),
        ),
        migrations.RunPython(codes_backfill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="screening",
            name="code",
            field=models.CharField(
                default=backoffice.campaign.codes.screening_code,
                editable=False,
                help_text="Short code customers quote to name this screening.",
                max_length=6,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalscreening",
            name="code",
            field=models.CharField(
                db_index=True,
                default=backoffice.campaign.codes.screening_code,
                editable=False,
                help_text="Short code customers quote to name this screening.",
                max_length=6,
            ),
        ),
    ]
