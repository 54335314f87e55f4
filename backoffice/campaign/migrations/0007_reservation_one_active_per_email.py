"""One active reservation (quantity > 0) per email address, whatever its case.

Existing data that already breaks the rule stops the migration with the list of addresses and
references to resolve, rather than losing or changing any booking on its own.
"""

import django.db.models.functions.text
from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models.functions import Lower


def refuse_existing_duplicates(apps, schema_editor) -> None:
    Reservation = apps.get_model("campaign", "Reservation")
    active = Reservation.objects.using(schema_editor.connection.alias).filter(quantity__gt=0)
    shared = (
        active.values(email_key=Lower("email"))
        .annotate(n=models.Count("pk"))
        .filter(n__gt=1)
        .values_list("email_key", flat=True)
    )
    held: dict[str, list[str]] = {}
    rows = active.alias(email_key=Lower("email")).filter(email_key__in=list(shared)).order_by("email_key", "pk")
    for email, reference in rows.values_list(Lower("email"), "reservation_id"):
        held.setdefault(email, []).append(reference)
    if held:
        lines = "\n".join(f"  {email}: {', '.join(references)}" for email, references in held.items())
        raise CommandError(
            f"Cannot add the one-booking-per-person rule: {len(held)} email addresses have more than one active "
            "reservation. Cancel (quantity 0) or change all but one of each, then migrate again:\n" + lines
        )


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0006_access_code_declared_references"),
    ]

    operations = [
        migrations.RunPython(refuse_existing_duplicates, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="reservation",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(("quantity__gt", 0)),
                name="reservation_one_active_per_email",
                violation_error_message="This email address already has an active reservation.",
            ),
        ),
    ]
