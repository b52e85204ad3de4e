import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def existing_events_are_not_news(apps, schema_editor):
    # Without this the first dispatcher run would push each couple's whole history.
    Couple = apps.get_model("couples", "Couple")
    Couple.objects.update(push_seq=models.F("seq"))


class Migration(migrations.Migration):

    dependencies = [
        ('couples', '0002_couple_settings'),
    ]

    operations = [
        migrations.CreateModel(
            name='PushDevice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('endpoint', models.URLField(max_length=500, unique=True)),
                ('p256dh', models.CharField(max_length=100)),
                ('auth', models.CharField(max_length=40)),
                ('label', models.CharField(blank=True, max_length=80)),
                ('include_text', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddField(
            model_name='couple',
            name='push_seq',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name='couple',
            index=models.Index(condition=models.Q(('seq__gt', models.F('push_seq'))), fields=['id'], name='couple_push_pending'),
        ),
        migrations.AddField(
            model_name='pushdevice',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='push_devices', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(existing_events_are_not_news, migrations.RunPython.noop),
    ]
