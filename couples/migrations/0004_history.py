from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('couples', '0003_push'),
    ]

    operations = [
        migrations.AddField(
            model_name='couple',
            name='purged_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['couple', 'kind', 'at'], name='event_kind_period'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['actor', 'at'], name='event_actor_period'),
        ),
    ]
