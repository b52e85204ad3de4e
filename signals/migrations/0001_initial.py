import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('couples', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Signal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.CharField(choices=[('green', 'green'), ('yellow', 'yellow'), ('red', 'red')], max_length=6)),
                ('note', models.CharField(blank=True, max_length=280)),
                ('set_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('couple', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='signals', to='couples.couple')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='signals', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('couple', 'user'), name='one_signal_per_partner')],
            },
        ),
    ]
