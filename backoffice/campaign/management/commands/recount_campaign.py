from django.core.management.base import BaseCommand

from backoffice.campaign.services.campaign_counts import campaign_counts_recount


class Command(BaseCommand):
    help = (
        "Count again, from the reservations and tickets, the counts the database keeps beside them: each "
        "screening's seats reserved, each film's tickets by state, each screening's bookings by code batch and "
        "film, and the bookings made each hour. Only needed after something went around their triggers (a "
        "table restored on its own). Bookings wait while it counts; safe to repeat."
    )

    def handle(self, *args, **options) -> None:
        done = campaign_counts_recount()
        self.stdout.write(
            f"Counted {done.screenings:,} screenings' seats, {done.films:,} films' tickets, "
            f"{done.booking_groups:,} groups of bookings by screening, code batch and film, and "
            f"{done.hours:,} hours of bookings by film."
        )
