"""manage.py ensure_demo_users: the demo log-ins of the embedded set-up (refused in production)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from scoring.models import Role
from scoring.services import roles
from surveys.models import Province

DEMO_USERS = [
    # username, password, role, province code
    ("admin", "admin-demo-2024", Role.ADMINISTRATOR, None),
    ("reviewer", "reviewer-demo-2024", Role.REVIEWER, None),
    ("officer74", "officer-demo-2024", Role.PROVINCE_OFFICER, "74"),  # Bình Dương, to 2024
    ("officer79", "officer-demo-2025", Role.PROVINCE_OFFICER, "79"),  # Hồ Chí Minh City, 2025
    # paper forms of Hồ Chí Minh City: a supervisor and the two operators double entry needs
    ("entry79", "entry-demo-2025", Role.ENTRY_SUPERVISOR, "79"),
    ("keyer79a", "keyer-demo-2025", Role.ENTRY_OPERATOR, "79"),
    ("keyer79b", "keyer-demo-2025", Role.ENTRY_OPERATOR, "79"),
    ("enumerator79", "enumerator-demo-2025", Role.ENUMERATOR, "79"),  # the offline app
]


class Command(BaseCommand):
    help = "Create the demo log-ins (DEBUG only) and print them."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo log-ins are only made when DJANGO_DEBUG is on")
        User = get_user_model()
        for username, password, role, province_code in DEMO_USERS:
            user = User.objects.filter(username=username).first() or User(username=username)
            user.is_staff = role == Role.ADMINISTRATOR
            user.is_superuser = role == Role.ADMINISTRATOR
            user.set_password(password)
            roles.save_account(account=user, by=None, password_changed=True)
            province = None
            if province_code:
                province = Province.objects.filter(code=province_code).order_by(
                    "-province_set__first_year").first()
            roles.set_staff_role(account=user, role=role, province=province, by=None)
            where = f" ({province.name_vi})" if province else ""
            self.stdout.write(f"{role.label}{where}: {username} / {password}")
        self.stdout.write("sign in at http://127.0.0.1:8000/accounts/login/")
