import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('couples', '0006_agreement'),
        ('signals', '0008_assessment'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
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
                'indexes': [models.Index(fields=['couple', 'at'], name='ask_recent')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('answered_at__isnull', True)), fields=('by',), name='one_open_ask')],
            },
        ),
    ]
