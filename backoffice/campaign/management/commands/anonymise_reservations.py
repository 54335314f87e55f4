from django.core.management.base import BaseCommand, CommandError

from backoffice.campaign.services.personal_data import reservations_anonymise_ended


class Command(BaseCommand):
    help = (
        "Anonymise the reservations of screenings that ended more than DAYS ago: their name, email and IP "
        "address, wherever they were copied. Seats, codes and tickets are kept for reporting. Safe to repeat."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", metavar="DAYS", required=True, help="days since the screening ended")

    def handle(self, *args, **options) -> None:
        raw = options["older_than"].strip()
        if not raw.isdigit():
            raise CommandError(f"--older-than must be a whole number of days, 0 or more; got {raw!r}.")
        done = reservations_anonymise_ended(days=int(raw))
        self.stdout.write(f"Anonymised {done} for screenings that ended more than {int(raw)} day(s) ago.")
