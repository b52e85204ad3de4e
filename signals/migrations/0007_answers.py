import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('couples', '0005_login_sessions'),
        ('signals', '0006_light_set_function'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Answer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('light_seq', models.BigIntegerField()),
                ('light_state', models.CharField(choices=[('green', 'green'), ('yellow', 'yellow'), ('red', 'red')], max_length=6)),
                ('light_at', models.DateTimeField()),
                ('reply', models.CharField(choices=[('seen', 'seen'), ('coming', 'coming'), ('call_soon', 'call_soon'), ('later', 'later')], max_length=10)),
                ('note', models.CharField(blank=True, max_length=280)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('couple', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='couples.couple')),
                ('to', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['couple', 'to', 'at'], name='answer_latest'), models.Index(fields=['couple', 'light_at'], name='answer_period')],
            },
        ),
    ]
