import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('couples', '0002_couple_settings'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Block',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('connection', 'connection'), ('autonomy', 'autonomy')], max_length=12)),
                ('name', models.CharField(max_length=60)),
                ('days', models.JSONField(default=list)),
                ('start', models.TimeField()),
                ('minutes', models.PositiveSmallIntegerField()),
                ('remind_before', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('enabled', models.BooleanField(default=True)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('couple', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='blocks', to='couples.couple')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Preview',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('message', models.CharField(max_length=280)),
                ('expected_at', models.DateTimeField(blank=True, null=True)),
                ('unreachable_until', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('cleared_at', models.DateTimeField(blank=True, null=True)),
                ('nudge_at', models.DateTimeField(blank=True, null=True)),
                ('couple', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='previews', to='couples.couple')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='previews', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('nudge_at__isnull', False)), fields=['nudge_at'], name='preview_due')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('cleared_at__isnull', True)), fields=('couple', 'user'), name='one_live_preview')],
            },
        ),
        migrations.CreateModel(
            name='Reminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('start', 'start'), ('before', 'before')], max_length=6)),
                ('next_fire_at', models.DateTimeField(blank=True, null=True)),
                ('failures', models.PositiveSmallIntegerField(default=0)),
                ('last_error', models.CharField(blank=True, max_length=200)),
                ('last_missed_at', models.DateTimeField(blank=True, null=True)),
                ('block', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='rhythms.block')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('next_fire_at__isnull', False)), fields=['next_fire_at'], name='reminder_due')],
                'constraints': [models.UniqueConstraint(fields=('block', 'kind'), name='one_reminder_per_kind')],
            },
        ),
        migrations.CreateModel(
            name='ReminderMute',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('block', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='mutes', to='rhythms.block')),
                ('couple', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminder_mutes', to='couples.couple')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminder_mutes', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('user', 'block'), name='one_mute_per_block'), models.UniqueConstraint(condition=models.Q(('block__isnull', True)), fields=('user', 'couple'), name='one_mute_all_per_couple')],
            },
        ),
    ]
