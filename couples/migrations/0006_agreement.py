from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('couples', '0005_login_sessions'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='agreed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
