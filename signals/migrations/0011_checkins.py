import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('couples', '0006_agreement'),
        ('signals', '0010_journal'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
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
                'constraints': [models.UniqueConstraint(fields=('couple', 'user', 'week'), name='one_checkin_a_week')],
            },
        ),
    ]
