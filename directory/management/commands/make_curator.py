"""Give a person the Curators role (staff, in the Curators group; never a superuser)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from directory.services.curators import ensure_curators_group


class Command(BaseCommand):
    help = "Make an existing account a curator: make_curator someone@example.org"

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(
                f"No account with the e-mail address {email}; they must sign up first."
            )
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(ensure_curators_group())
        self.stdout.write(f"{email} is now a curator.")
