from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('couples', '0006_agreement'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='email_verified_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
