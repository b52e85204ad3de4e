import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('couples', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='couple',
            name='flag_threshold',
            field=models.PositiveSmallIntegerField(default=4, validators=[django.core.validators.MinValueValidator(2), django.core.validators.MaxValueValidator(14)]),
        ),
        migrations.AddField(
            model_name='couple',
            name='flags_enabled',
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name='couple',
            name='retention_months',
            field=models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(120)]),
        ),
    ]
