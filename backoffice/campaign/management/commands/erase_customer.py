from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from backoffice.campaign.services.personal_data import personal_data_erase


class Command(BaseCommand):
    help = (
        "Erase a customer on request: the name, email and IP address of every reservation booked with EMAIL "
        "(any case), in the outbox, its message files and the admin log. Seats and tickets are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", metavar="EMAIL", help="the address the customer booked with")

    def handle(self, *args, **options) -> None:
        try:
            erased = personal_data_erase(email=options["email"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Erased {options['email'].strip()}: {erased}.")
