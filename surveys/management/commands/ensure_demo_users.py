"""manage.py ensure_demo_users: the demo log-ins of the embedded set-up (refused in production)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERS = [
    # username, password, superuser
    ("admin", "admin-demo-2024", True),
]


class Command(BaseCommand):
    help = "Create the demo log-ins (DEBUG only) and print them."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo log-ins are only made when DJANGO_DEBUG is on")
        User = get_user_model()
        for username, password, superuser in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.is_superuser = superuser
            user.set_password(password)
            user.save()
            self.stdout.write(f"log in at http://127.0.0.1:8000/admin/ as {username} / {password}")
