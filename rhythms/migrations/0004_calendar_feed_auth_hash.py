from django.db import migrations, models
from django.utils.crypto import salted_hmac


def mark_existing_feeds(apps, schema_editor):
    """Feeds made before this field: the person's current password, so that they go on
    working until the next new password (the hash is AbstractBaseUser's)."""
    CalendarFeed = apps.get_model("rhythms", "CalendarFeed")
    salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
    for feed in CalendarFeed.objects.select_related("user"):
        feed.auth_hash = salted_hmac(salt, feed.user.password, algorithm="sha256").hexdigest()
        feed.save(update_fields=["auth_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("rhythms", "0003_calendarfeed"),
        ("couples", "0009_outgoing_mail"),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarfeed",
            name="auth_hash",
            field=models.CharField(default="", max_length=128),
        ),
        migrations.RunPython(mark_existing_feeds, migrations.RunPython.noop),
    ]
