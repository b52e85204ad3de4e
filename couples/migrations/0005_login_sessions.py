import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def tickets_drop(apps, schema_editor):
    # Tickets live a minute; the ones in flight name their login by digest only.
    apps.get_model("couples", "WsTicket").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("couples", "0004_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="LoginSession",
            fields=[
                ("session_key", models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name="session key")),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sessions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "abstract": False,
            },
        ),
        migrations.RunPython(tickets_drop, migrations.RunPython.noop),
        migrations.RemoveField(model_name="wsticket", name="auth_key"),
        migrations.AddField(
            model_name="wsticket",
            name="login",
            field=models.CharField(default="", max_length=80),
            preserve_default=False,
        ),
    ]
