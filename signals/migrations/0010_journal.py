import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('signals', '0009_asks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='JournalEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=12)),
                ('minutes', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('intensity_before', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('intensity_after', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('trigger', models.CharField(blank=True, max_length=140)),
                ('note', models.CharField(blank=True, max_length=280)),
                ('partner_preview', models.BooleanField(default=False)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='journal', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['user', 'at'], name='journal_own')],
            },
        ),
    ]
