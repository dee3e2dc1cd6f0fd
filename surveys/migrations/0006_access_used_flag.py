"""Codes and invitations keep whether they were used, never when: a time of use could be
matched with the time of the submission it admitted."""

from django.db import migrations, models


def copy_used(apps, schema_editor):
    for name in ("AccessCode", "Invitation"):
        model = apps.get_model("surveys", name)
        model.objects.filter(used_at__isnull=False).update(used=True)


def copy_back(apps, schema_editor):
    # The times are gone for good; a used code gets the moment of the reversal.
    from django.utils import timezone

    for name in ("AccessCode", "Invitation"):
        model = apps.get_model("surveys", name)
        model.objects.filter(used=True).update(used_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0005_submission_duration"),
    ]

    operations = [
        migrations.AddField(model_name="accesscode", name="used",
                            field=models.BooleanField(default=False)),
        migrations.AddField(model_name="invitation", name="used",
                            field=models.BooleanField(default=False)),
        migrations.RunPython(copy_used, copy_back),
        migrations.RemoveField(model_name="accesscode", name="used_at"),
        migrations.RemoveField(model_name="invitation", name="used_at"),
    ]
