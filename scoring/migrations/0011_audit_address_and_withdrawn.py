from django.conf import settings
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('scoring', '0010_publication_withdrawal_and_files'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='address',
            field=models.GenericIPAddressField(blank=True, help_text="The staff member's network address (web only)", null=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('login', 'Logged in'), ('login_failed', 'Failed log-in'), ('login_locked', 'Log-in refused while locked out'), ('role_changed', 'Role changed'), ('account_changed', 'Account changed'), ('score_changed', 'Score changed'), ('note_changed', 'Note changed'), ('published', 'Results published'), ('withdrawn', 'Published results withdrawn'), ('recompute', 'Recompute started'), ('download', 'Download'), ('excluded', 'Submission excluded'), ('restored', 'Submission restored'), ('uncertainty', 'Intervals computed'), ('weights', 'Survey weights computed')], max_length=16),
        ),
    ]
