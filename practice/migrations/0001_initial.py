"""The practice's models, moved from the signals app: the tables stay as they were, only
Django's idea of whose they are changes here (0002 renames them)."""


import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("signals", "0012_self_care"),
        ('couples', '0008_user_language'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SelfCare',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('items', models.JSONField(default=list)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='self_care', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'signals_selfcare',
                    },
                ),
                migrations.CreateModel(
                    name='Ask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('text', models.CharField(max_length=140)),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('answer', models.CharField(blank=True, max_length=8)),
                        ('note', models.CharField(blank=True, max_length=280)),
                        ('answered_at', models.DateTimeField(blank=True, null=True)),
                        ('by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='asks', to=settings.AUTH_USER_MODEL)),
                        ('couple', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='asks', to='couples.couple')),
                    ],
                    options={
                        'db_table': 'signals_ask',
                        'indexes': [models.Index(fields=['couple', 'at'], name='ask_recent')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('answered_at__isnull', True)), fields=('by',), name='one_open_ask')],
                    },
                ),
                migrations.CreateModel(
                    name='Assessment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('answers', models.JSONField()),
                        ('dependence', models.FloatField()),
                        ('independence', models.FloatField()),
                        ('pattern', models.CharField(max_length=20)),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('shared', models.BooleanField(default=False)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assessments', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'signals_assessment',
                        'indexes': [models.Index(fields=['user', 'at'], name='assessment_own')],
                    },
                ),
                migrations.CreateModel(
                    name='CheckIn',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('week', models.CharField(max_length=8)),
                        ('appreciation', models.CharField(max_length=280)),
                        ('need', models.CharField(max_length=280)),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('couple', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='checkins', to='couples.couple')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='checkins', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'signals_checkin',
                        'constraints': [models.UniqueConstraint(fields=('couple', 'user', 'week'), name='one_checkin_a_week')],
                    },
                ),
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
                        'db_table': 'signals_journalentry',
                        'indexes': [models.Index(fields=['user', 'at'], name='journal_own')],
                    },
                ),
                ],
        ),
    ]
