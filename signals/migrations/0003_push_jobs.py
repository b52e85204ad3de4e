import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('couples', '0003_push'),
        ('signals', '0002_flags'),
    ]

    operations = [
        migrations.CreateModel(
            name='PushJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('payload', models.JSONField()),
                ('urgency', models.CharField(default='normal', max_length=8)),
                ('next_try_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='jobs', to='couples.pushdevice')),
                ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='couples.event')),
            ],
            options={
                'indexes': [models.Index(fields=['next_try_at'], name='pushjob_due')],
                'constraints': [models.UniqueConstraint(fields=('device', 'event'), name='one_push_per_device_event')],
            },
        ),
    ]
