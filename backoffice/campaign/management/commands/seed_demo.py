from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from backoffice.campaign.demo.seed import demo_campaign_seed

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "xmas-films-demo"  # noqa: S105 - a published demo login, refused outside DEBUG


class Command(BaseCommand):
    help = "Fill the database with a demo campaign (films, cinemas, screenings, tickets, codes, reservations)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-login",
            action="store_true",
            help=f"Also create the superuser {DEMO_USERNAME!r} with a published password (DEBUG only).",
        )

    def handle(self, *args, demo_login: bool, **options):
        if demo_login and not settings.DEBUG:
            raise CommandError("--demo-login creates a superuser with a published password; it needs DEBUG=1.")
        summary = demo_campaign_seed()
        self.stdout.write(self.style.SUCCESS(f"Demo campaign ready: {summary}."))
        if demo_login:
            user, _ = get_user_model().objects.get_or_create(
                username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
            )
            user.is_staff = user.is_superuser = True
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["is_staff", "is_superuser", "password"])
            self.stdout.write(f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD}")
