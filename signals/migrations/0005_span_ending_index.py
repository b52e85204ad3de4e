from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('couples', '0004_history'),
        ('signals', '0004_signalspan'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='signalspan',
            index=models.Index(fields=['couple', 'ended_at'], name='span_open_or_ending'),
        ),
    ]
