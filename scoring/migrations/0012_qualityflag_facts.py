from django.conf import settings
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('scoring', '0011_audit_address_and_withdrawn'),
    ]

    operations = [
        migrations.AddField(
            model_name='qualityflag',
            name='facts',
            field=models.JSONField(blank=True, default=dict, help_text='The figures behind the detail, to show it in words'),
        ),
    ]
