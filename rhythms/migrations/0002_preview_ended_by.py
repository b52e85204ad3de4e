from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rhythms', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='preview',
            name='ended_by',
            field=models.CharField(blank=True, max_length=8),
        ),
    ]
